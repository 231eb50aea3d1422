import { SessionEventTypes } from '@strata/contracts';
import { EventStore, kyselyFromPool } from '@strata/event-store';
import type {} from '@strata/testing';
import { mailDirOf } from '@strata/testing/harness';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionsCommands } from '../src/commands.js';
import type { Database } from '../src/db/schema.js';
import { passwordResets } from '../src/projections/index.js';
import { accountStream } from '../src/streams.js';
import { startSessionsReplica } from './instance.js';
import { rawRequest } from '@strata/testing/client';
import { Client, eventually } from './support.js';

const stack = inject('stack');
const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2, application_name: 'sessions-self-service-test' });
const db = kyselyFromPool(pool) as Kysely<Database>;
const store = new EventStore({ db, schema: 'sessions' });
const mailDir = mailDirOf(stack.runDir);
const NEW_PASSWORD = 'a much better passphrase';

/** The mails the stack's sink holds for an address (the body names its recipient). */
function mailsTo(email: string): string[] {
  return readdirSync(mailDir)
    .sort()
    .map((f) => readFileSync(join(mailDir, f), 'utf8'))
    .filter((body) => body.includes(`(${email})`));
}
const tokenIn = (mail: string) => /reset-password#token=([A-Za-z0-9_-]{43})"/.exec(mail)?.[1];
const resetMail = (email: string, count = 1) =>
  eventually(`${count} mail(s) to ${email}`, async () => {
    const mails = mailsTo(email);
    return mails.length >= count ? mails : undefined;
  });

const typesOf = async (email: string) => (await store.readStream(accountStream(email))).map((e) => e.type);

/** A second session of the same user (another device), signed in directly so no gateway limit is spent. */
async function secondDevice(email: string, password: string): Promise<Client> {
  const direct = Client.direct(stack, 'sessions');
  expect((await direct.login(email, password)).status).toBe(200);
  const other = new Client(stack.gatewayUrl, 'Mozilla/5.0 (Macintosh) Safari/605.1.15');
  other.accessToken = direct.accessToken;
  other.cookie = direct.cookie;
  return other;
}

/** A new user signed in through the gateway, with their address and password. */
async function signedIn() {
  const client = new Client(stack.gatewayUrl);
  const { email, password, id } = await Client.direct(stack, 'sessions').register();
  const direct = Client.direct(stack, 'sessions');
  expect((await direct.login(email, password)).status).toBe(200);
  client.accessToken = direct.accessToken;
  client.cookie = direct.cookie;
  client.userId = id;
  return { client, email, password, id };
}

/** Waits (at most 1 s) until the token is refused by the gateway and by a sessions replica of the test's own. */
async function refusedEverywhereWithin1s(token: string, replica: FastifyInstance) {
  const since = Date.now();
  let gateway = 0;
  let atReplica = 0;
  while (Date.now() - since < 1_000) {
    gateway = (await fetch(`${stack.gatewayUrl}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status;
    atReplica = (await replica.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode;
    if (gateway === 401 && atReplica === 401) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect({ gateway, atReplica }).toEqual({ gateway: 401, atReplica: 401 });
}

/**
 * A call to the test's own sessions replica from an address of its own: failed guesses count per
 * address too, and the stack's tests all come from 127.0.0.1, whose budget this must not spend.
 */
let addresses = 0;
const ownAddress = () => `198.51.100.${(addresses++ % 250) + 1}`;
async function atReplica(method: 'POST' | 'GET', url: string, body?: unknown, token?: string) {
  const res = await replica.inject({
    method,
    url,
    remoteAddress: ownAddress(),
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, json: res.json() as Record<string, unknown>, headers: res.headers };
}
const loginStatus = async (email: string, password: string) => (await atReplica('POST', '/api/v1/auth/login', { email, password })).status;

let replica: FastifyInstance;
beforeAll(async () => {
  replica = await startSessionsReplica(stack);
});
afterAll(async () => {
  await replica?.close();
  await db.destroy();
});

describe('POST /api/v1/me/password', () => {
  it('changes the password with the current one; this session stays, every other is refused everywhere within 1 s', async () => {
    const { client, email, password } = await signedIn();
    const other = await secondDevice(email, password);
    const otherToken = other.accessToken!;

    const changed = await client.call('POST', '/api/v1/me/password', { current: password, next: NEW_PASSWORD });
    expect(changed.status).toBe(204);
    await refusedEverywhereWithin1s(otherToken, replica);
    // the other device cannot come back with its refresh cookie either
    expect((await other.call('POST', '/api/v1/auth/refresh', {})).status).toBe(401);
    // this one goes on
    expect((await client.call('GET', '/api/v1/me')).status).toBe(200);
    expect((await client.call('GET', '/api/v1/sessions')).json.items).toHaveLength(1);
    // the old password is gone, the new one signs in
    expect(await loginStatus(email, password)).toBe(401);
    expect(await loginStatus(email, NEW_PASSWORD)).toBe(200);
    expect(await typesOf(email)).toEqual([SessionEventTypes.UserRegistered, SessionEventTypes.PasswordChanged]);
    const ended = await db.selectFrom('sessions.session_list').select(['end_reason']).where('user_id', '=', client.userId!).where('ended_at', 'is not', null).execute();
    expect(ended.map((r) => r.end_reason)).toEqual(['password-changed']);
  });

  it('refuses a wrong current password (403, nothing changes), and throttles guessing to 429 with Retry-After', async () => {
    const { client, email, password } = await signedIn();
    const other = await secondDevice(email, password);
    const wrong = await client.call('POST', '/api/v1/me/password', { current: 'not the password', next: NEW_PASSWORD });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.json.type).toContain('current-password-wrong');
    expect((await other.call('GET', '/api/v1/me')).status).toBe(200);
    // the guesses after the first come from other addresses: the account's own count stops them
    const token = client.accessToken!;
    let last = await atReplica('POST', '/api/v1/me/password', { current: 'guess', next: NEW_PASSWORD }, token);
    for (let i = 0; i < 6 && last.status !== 429; i++) last = await atReplica('POST', '/api/v1/me/password', { current: `guess ${i}`, next: NEW_PASSWORD }, token);
    expect(last.status).toBe(429);
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    // throttled, even the right password waits: a guesser learns nothing from it
    expect((await atReplica('POST', '/api/v1/me/password', { current: password, next: NEW_PASSWORD }, token)).status).toBe(429);
    expect(await typesOf(email)).toEqual([SessionEventTypes.UserRegistered]);
    expect((await other.call('GET', '/api/v1/me')).status).toBe(200);
  });

  it('refuses what must not work, with a problem and no change', async () => {
    const { client, email, password } = await signedIn();
    const anonymous = new Client(stack.gatewayUrl);
    expect((await anonymous.call('POST', '/api/v1/me/password', { current: password, next: NEW_PASSWORD })).status).toBe(401);
    const bad: [unknown, number][] = [
      [{ next: NEW_PASSWORD }, 400],
      [{ current: password }, 400],
      [{ current: password, next: 'short' }, 400],
      [{ current: password, next: 'x'.repeat(1025) }, 400],
      [{ current: password, next: NEW_PASSWORD, admin: true }, 400],
      [{ current: { $ne: null }, next: NEW_PASSWORD }, 400],
      ['{"current":', 400],
      ['[]', 400],
    ];
    for (const [body, status] of bad) {
      const answer = await client.call('POST', '/api/v1/me/password', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
    }
    // a form from another site, and a page of another origin
    expect((await client.call('POST', '/api/v1/me/password', `current=${password}&next=x`, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await client.call('POST', '/api/v1/me/password', { current: password, next: NEW_PASSWORD }, { origin: 'https://evil.example' })).status).toBe(403);
    // odd spellings of the path are not a way around the token
    for (const path of ['/api/v1/ME/password', '/api/v1/me/%70assword', '/api/v1/me/./password', '/api/v1/me//password', '/api/v1/me/password/', '/api/v1/%6de/password', '/api/v1/x/../me/password', '/api/v1/me%2fpassword']) {
      const answer = await rawRequest(stack.gatewayUrl, 'POST', path, { 'content-type': 'application/json' }, JSON.stringify({ current: password, next: NEW_PASSWORD }));
      // 400: the gateway refuses an encoded separator outright
      expect([400, 401, 404], `${path}: ${answer.status}`).toContain(answer.status);
    }
    expect(await typesOf(email)).toEqual([SessionEventTypes.UserRegistered]);
  });
});

describe('POST /api/v1/sessions/revoke-all', () => {
  it('signs out every session of the caller, this one included; tokens refused everywhere within 1 s; another user untouched', async () => {
    const { client, email, password } = await signedIn();
    const other = await secondDevice(email, password);
    const stranger = await signedIn();
    const tokens = [client.accessToken!, other.accessToken!];
    const answer = await client.call('POST', '/api/v1/sessions/revoke-all', {});
    expect(answer.status).toBe(204);
    expect(answer.setCookie).toMatch(/^strata_refresh=;/);
    for (const token of tokens) await refusedEverywhereWithin1s(token, replica);
    expect((await other.call('POST', '/api/v1/auth/refresh', {})).status).toBe(401);
    expect((await stranger.client.call('GET', '/api/v1/me')).status).toBe(200);
    const reasons = await db.selectFrom('sessions.session_list').select('end_reason').where('user_id', '=', client.userId!).execute();
    expect(reasons.map((r) => r.end_reason)).toEqual(['signed-out-everywhere', 'signed-out-everywhere']);
  });

  it('needs a token, and JSON', async () => {
    expect((await new Client(stack.gatewayUrl).call('POST', '/api/v1/sessions/revoke-all', {})).status).toBe(401);
    const { client } = await signedIn();
    expect((await client.call('POST', '/api/v1/sessions/revoke-all', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await client.call('POST', '/api/v1/sessions/revoke-all', { all: true })).status).toBe(400);
    expect((await client.call('GET', '/api/v1/me')).status).toBe(200);
  });
});

describe('password reset by a mailed token', () => {
  it('mails a link to a registered address; the token sets the password once and signs out every session', async () => {
    const { client, email, password } = await signedIn();
    const other = await secondDevice(email, password);
    const asked = await new Client(stack.gatewayUrl).call('POST', '/api/v1/auth/password-reset', { email: email.toUpperCase() });
    expect(asked.status).toBe(202);
    const [mail] = await resetMail(email);
    const token = tokenIn(mail!);
    expect(token).toBeDefined();
    // only the token's hash is stored, in the log and in the read model
    const rows = await db.selectFrom('sessions.password_resets').selectAll().where('user_id', '=', client.userId!).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(await store.readStream(accountStream(email)))).not.toContain(token);

    const anonymous = new Client(stack.gatewayUrl);
    expect((await anonymous.call('POST', '/api/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD })).status).toBe(204);
    await refusedEverywhereWithin1s(client.accessToken!, replica);
    await refusedEverywhereWithin1s(other.accessToken!, replica);
    expect(await loginStatus(email, password)).toBe(401);
    expect(await loginStatus(email, NEW_PASSWORD)).toBe(200);

    // used twice: refused, and the password stays
    const again = await anonymous.call('POST', '/api/v1/auth/password-reset/confirm', { token, password: 'yet another passphrase' });
    expect(again.status).toBe(400);
    expect(again.json.type).toContain('reset-token-invalid');
    expect(await loginStatus(email, NEW_PASSWORD)).toBe(200);
    expect(await typesOf(email)).toEqual([SessionEventTypes.UserRegistered, SessionEventTypes.PasswordResetRequested, SessionEventTypes.PasswordReset]);
    expect(await db.selectFrom('sessions.password_resets').selectAll().where('user_id', '=', client.userId!).execute()).toEqual([]);
  });

  it('answers an unknown address exactly as a known one, at once, and mails nobody', async () => {
    const { email } = await signedIn();
    const unknown = `nobody-${Date.now()}@example.test`;
    const anonymous = new Client(stack.gatewayUrl);
    const times = { known: [] as number[], unknown: [] as number[] };
    const bodies = new Set<string>();
    for (let i = 0; i < 3; i++) {
      for (const [kind, address] of [['unknown', unknown], ['known', email]] as const) {
        const t0 = performance.now();
        const answer = await anonymous.call('POST', '/api/v1/auth/password-reset', { email: address });
        times[kind].push(performance.now() - t0);
        expect(answer.status).toBe(202);
        bodies.add(`${answer.status} ${answer.text} ${answer.headers.get('content-type')}`);
      }
    }
    expect(bodies.size).toBe(1);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // both are answered before anything is looked up: no hash, no query tells them apart
    expect(Math.abs(median(times.known) - median(times.unknown))).toBeLessThan(50);
    await resetMail(email, 3);
    expect(mailsTo(unknown)).toEqual([]);
  });

  it('mails one account at most 3 times in the window; the requests past that are answered alike', async () => {
    const { email } = await signedIn();
    const anonymous = new Client(stack.gatewayUrl);
    for (let i = 0; i < 5; i++) expect((await anonymous.call('POST', '/api/v1/auth/password-reset', { email })).status).toBe(202);
    await resetMail(email, 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(mailsTo(email)).toHaveLength(3);
  });

  it('a newer password voids a token mailed before it', async () => {
    const { client, email, password } = await signedIn();
    await new Client(stack.gatewayUrl).call('POST', '/api/v1/auth/password-reset', { email });
    const token = tokenIn((await resetMail(email))[0]!);
    expect((await client.call('POST', '/api/v1/me/password', { current: password, next: NEW_PASSWORD })).status).toBe(204);
    expect((await new Client(stack.gatewayUrl).call('POST', '/api/v1/auth/password-reset/confirm', { token, password: 'yet another passphrase' })).status).toBe(400);
    expect(await loginStatus(email, NEW_PASSWORD)).toBe(200);
  });

  it('refuses a token never issued, a malformed one and hostile bodies with a 4xx problem', async () => {
    const anonymous = new Client(stack.gatewayUrl);
    const bad: [unknown, number][] = [
      [{ token: 'A'.repeat(43), password: NEW_PASSWORD }, 400],
      [{ token: 'short', password: NEW_PASSWORD }, 400],
      [{ token: `${'A'.repeat(42)}=`, password: NEW_PASSWORD }, 400],
      [{ token: 'A'.repeat(43), password: 'short' }, 400],
      [{ token: 'A'.repeat(43) }, 400],
      [{ token: 'A'.repeat(43), password: NEW_PASSWORD, email: 'x@example.test' }, 400],
      [{ token: { $ne: null }, password: NEW_PASSWORD }, 400],
      ['{"token":', 400],
    ];
    for (const [body, status] of bad) {
      const answer = await anonymous.call('POST', '/api/v1/auth/password-reset/confirm', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
    }
    for (const body of [{}, { email: 'not an address' }, { email: 'a@b.c'.repeat(60) }, { email: 'x@example.test', extra: 1 }, { email: { $ne: null } }]) {
      const answer = await anonymous.call('POST', '/api/v1/auth/password-reset', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect((await anonymous.call('POST', '/api/v1/auth/password-reset', 'email=x@example.test', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await anonymous.call('POST', '/api/v1/auth/password-reset', { email: 'x@example.test' }, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('the reset read model rebuilt from the log equals the live one', async () => {
    const { email, id } = await signedIn();
    await new Client(stack.gatewayUrl).call('POST', '/api/v1/auth/password-reset', { email });
    await resetMail(email);
    const before = await db.selectFrom('sessions.password_resets').selectAll().orderBy('token_hash').execute();
    expect(before.some((r) => r.user_id === id)).toBe(true);
    await sessionsCommands({ store, db }).accounts.rebuild(passwordResets);
    expect(await db.selectFrom('sessions.password_resets').selectAll().orderBy('token_hash').execute()).toEqual(before);
  });
});

describe('PATCH /api/v1/me', () => {
  it('changes the display name (an event in the account stream), and refuses blank or hostile names', async () => {
    const { client, email } = await signedIn();
    const answer = await client.call('PATCH', '/api/v1/me', { displayName: '  Ada Lovelace ' });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ email, displayName: 'Ada Lovelace' });
    expect((await client.call('GET', '/api/v1/me')).json.displayName).toBe('Ada Lovelace');
    for (const displayName of ['   ', '', 'a\u0000b', 'x'.repeat(101), '\ud800']) {
      expect((await client.call('PATCH', '/api/v1/me', { displayName })).status, JSON.stringify(displayName)).toBe(400);
    }
    expect((await client.call('PATCH', '/api/v1/me', { displayName: 'X', email: 'other@example.test' })).status).toBe(400);
    expect((await new Client(stack.gatewayUrl).call('PATCH', '/api/v1/me', { displayName: 'Mallory' })).status).toBe(401);
    expect((await client.call('GET', '/api/v1/me')).json.displayName).toBe('Ada Lovelace');
    expect(await typesOf(email)).toEqual([SessionEventTypes.UserRegistered, SessionEventTypes.DisplayNameChanged]);
  });
});
