import { randomBytes } from 'node:crypto';
import { SessionEventTypes } from '@strata/contracts';
import { EventStore, kyselyFromPool } from '@strata/event-store';
import type {} from '@strata/testing';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sessionsCommands } from '../src/commands.js';
import type { Database } from '../src/db/schema.js';
import type { SessionEvent } from '../src/domain/session/session.js';
import { partnerClients, sessionList, users } from '../src/projections/index.js';
import { sessionStream } from '../src/streams.js';
import { Client } from './support.js';

const stack = inject('stack');
const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 4, application_name: 'sessions-read-models-test' });
const db = kyselyFromPool(pool) as Kysely<Database>;
const store = new EventStore({ db, schema: 'sessions' });
// the service's own command paths, here in the test process: a rebuild locks out the stack's writers too
const commands = sessionsCommands({ store, db });
afterAll(async () => db.destroy());

async function snapshot(userIds: string[], clientIds: string[]) {
  return {
    users: await db.selectFrom('sessions.users').selectAll().where('user_id', 'in', userIds).orderBy('user_id').execute(),
    sessions: await db.selectFrom('sessions.session_list').selectAll().where('user_id', 'in', userIds).orderBy('session_id').execute(),
    clients: await db.selectFrom('sessions.partner_clients').selectAll().where('client_id', 'in', clientIds).orderBy('client_id').execute(),
  };
}

/** A session as an older release stored it: the device and address in the event data, no user agent in the metadata. */
async function appendLegacySession(userId: string): Promise<string> {
  const sessionId = randomBytes(16).toString('base64url');
  const data = {
    sessionId,
    userId,
    device: 'Firefox on Windows',
    address: '198.51.100.8',
    refreshTokenHash: 'legacy-hash',
    startedAt: new Date().toISOString(),
    idleTimeoutSeconds: 1800,
    absoluteLifetimeSeconds: 43_200,
  };
  const events: SessionEvent[] = [{ type: SessionEventTypes.SessionStarted, data }];
  await db.transaction().execute(async (trx) => {
    await store.append(sessionStream(sessionId), events, { expectedVersion: 'no_stream', metadata: { actor: `user:${userId}`, address: '198.51.100.8' }, transaction: trx });
    for (const event of await store.readStream<SessionEvent, Database>(sessionStream(sessionId), { transaction: trx })) await sessionList.evolve(trx, event);
  });
  return sessionId;
}

describe('the read models of sessions', () => {
  it('rebuilt from the log, each equals the live one after a mixed history', async () => {
    // registrations and sign-ins directly and through the gateway (which passes the client's address)
    const alice = Client.direct(stack, 'sessions');
    const a = await alice.register();
    expect((await alice.login(a.email, a.password)).status).toBe(200);
    // registered directly: the gateway allows an address only a few registrations a minute
    const b = await Client.direct(stack, 'sessions').register();
    const bob = new Client(stack.gatewayUrl, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15');
    expect((await bob.login(b.email, b.password)).status).toBe(200);
    const bobPhone = new Client(stack.gatewayUrl, 'Mozilla/5.0 (Linux; Android 15) Chrome/140.0 Mobile Safari/537.36');
    expect((await bobPhone.login(b.email, b.password)).status).toBe(200);

    // refreshed twice, then an old refresh token comes back: the session ends
    expect((await alice.call('POST', '/api/v1/auth/refresh', {})).status).toBe(200);
    const stolen = alice.cookie;
    expect((await alice.call('POST', '/api/v1/auth/refresh', {})).status).toBe(200);
    alice.cookie = stolen;
    expect((await alice.call('POST', '/api/v1/auth/refresh', {})).status).toBe(401);
    // a second sign-in, signed out; bob signs out his phone from the laptop
    expect((await alice.login(a.email, a.password)).status).toBe(200);
    expect((await alice.call('POST', '/api/v1/auth/logout', {})).status).toBe(204);
    const phone = ((await bob.call('GET', '/api/v1/sessions')).json.items as { id: string; device: string }[]).find((s) => s.device === 'Chrome on Android')!;
    expect((await bob.call('DELETE', `/api/v1/sessions/${phone.id}`)).status).toBe(204);

    const clientId = `rebuild-${randomBytes(4).toString('hex')}`;
    await commands.clients.handle(clientId, {
      type: 'RegisterPartnerClient',
      data: { clientId, name: 'Rebuild test', secretHash: 'not-a-real-hash', scopes: ['files:read'], plan: 'partner', now: new Date() },
    });
    const legacySession = await appendLegacySession(a.id);

    const live = await snapshot([a.id, b.id], [clientId]);
    expect(live.users.map((u) => u.email).sort()).toEqual([a.email, b.email].sort());
    expect(live.clients).toMatchObject([{ client_id: clientId, scopes: ['files:read'] }]);
    const ends = live.sessions.map((s) => s.end_reason ?? 'live').sort();
    expect(ends).toEqual(['live', 'live', 'logout', 'refresh-token-reuse', 'revoked']);
    // devices and addresses come from the requests' metadata; an old session keeps what its data said
    expect(live.sessions.filter((s) => s.user_id === b.id).map((s) => s.device).sort()).toEqual(['Chrome on Android', 'Safari on macOS']);
    expect(live.sessions.every((s) => s.address !== '')).toBe(true);
    expect(live.sessions.find((s) => s.session_id === legacySession)).toMatchObject({ device: 'Firefox on Windows', address: '198.51.100.8' });

    // each command path rebuilds the read models its events change
    const rebuilds = { users: () => commands.accounts.rebuild(users), sessions: () => commands.sessions.rebuild(sessionList), clients: () => commands.clients.rebuild(partnerClients) };
    for (const [name, rebuild] of Object.entries(rebuilds)) {
      expect(await rebuild(), name).toBeGreaterThan(0);
      expect(await snapshot([a.id, b.id], [clientId]), name).toEqual(live);
    }
  });
});
