import type {} from '@strata/testing';
import { EventStore, kyselyFromPool } from '@strata/event-store';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SessionsCommands, sessionsCommands } from '../src/commands.js';
import type { Database } from '../src/db/schema.js';
import { legacyScryptHash } from '../src/passwords.js';
import { accountStream } from '../src/streams.js';
import { startSessionsReplica } from './instance.js';
import { Client } from './support.js';

const stack = inject('stack');

const replica = (env: Record<string, string> = {}) => startSessionsReplica(stack, env);

describe('password hashes', () => {
  // the stack's own event store, read and written as the service does
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  let store: EventStore;
  let commands: SessionsCommands;
  beforeAll(async () => {
    const db = kyselyFromPool(pool) as Kysely<Database>;
    store = await EventStore.open({ db, schema: 'sessions' });
    commands = sessionsCommands({ store, db });
  });
  afterAll(async () => {
    await pool.end();
  });

  it('an account with an scrypt hash signs in, and from then on holds an Argon2id hash at the OWASP cost', async () => {
    const email = `legacy-${randomUUID()}@example.test`;
    const password = 'an older scrypt password';
    const userId = randomUUID();
    // an account as registered before Argon2id
    await commands.accounts.handle(
      email,
      { type: 'RegisterUser', data: { userId, email, displayName: 'Legacy', passwordHash: await legacyScryptHash(password), now: new Date() } },
      { metadata: { actor: `user:${userId}`, correlationId: randomUUID() } },
    );
    const account = () => commands.accounts.load(email);
    const client = new Client(stack.gatewayUrl);

    // a wrong password changes nothing
    expect((await client.login(email, 'not the right password')).status).toBe(401);
    expect((await account()).state).toMatchObject({ passwordHash: expect.stringMatching(/^scrypt\$32768\$8\$1\$/) });

    expect((await client.login(email, password)).status).toBe(200);
    const upgraded = await account();
    expect(upgraded.version).toBe(2);
    expect(upgraded.state).toMatchObject({ status: 'registered', userId, passwordHash: expect.stringMatching(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/) });
    const events = await store.readStream(accountStream(email));
    expect(events.map((e) => e.type)).toEqual(['UserRegistered', 'PasswordRehashed']);
    expect(events[1]).toMatchObject({ schemaVersion: 1, metadata: { actor: `user:${userId}` } });

    // the same password verifies against the new hash, a wrong one is still refused, and nothing
    // is rehashed again
    expect((await client.login(email, password)).status).toBe(200);
    expect((await client.login(email, 'not the right password')).status).toBe(401);
    expect((await account()).version).toBe(2);
  });

  it('a new account is hashed with Argon2id at the OWASP cost', async () => {
    const client = new Client(stack.gatewayUrl);
    const { email } = await client.register();
    const { state } = await commands.accounts.load(email);
    expect(state).toMatchObject({ passwordHash: expect.stringMatching(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/) });
  });
});

describe('a burst of sign-ins beyond the hashing bound', () => {
  // one hash at a time and one waiting, each slow enough that a burst arrives while it runs
  let busy: FastifyInstance;
  beforeAll(async () => {
    busy = await replica({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1', PASSWORD_ARGON2_MEMORY_KIB: '65536', PASSWORD_ARGON2_TIME_COST: '10' });
  });
  afterAll(async () => {
    await busy?.close();
  });

  it('is answered 503 with Retry-After past the bound, and every refused sign-in succeeds when tried again', async () => {
    const password = 'a burst of sign-ins';
    const users: string[] = [];
    for (let i = 0; i < 8; i++) {
      const email = `burst-${randomUUID()}@example.test`;
      const res = await busy.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password } });
      expect(res.statusCode).toBe(201);
      users.push(email);
    }
    const login = (email: string) => busy.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: '10.11.0.1' });
    const answers = await Promise.all(users.map(login));
    const statuses = answers.map((a) => a.statusCode);
    const refused = answers.filter((a) => a.statusCode === 503);
    // one hashing and one in line are admitted; the rest could only wait longer
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const a of refused) expectBusy(a);

    // nothing broke: the refused sign-ins succeed one by one, and so does a new registration
    for (const [i, a] of answers.entries()) if (a.statusCode === 503) expect((await login(users[i]!)).statusCode).toBe(200);
    expect((await busy.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: `burst-${randomUUID()}@example.test`, password } })).statusCode).toBe(201);
  });
});

function expectBusy(answer: LightMyRequestResponse) {
  expect(answer.headers['retry-after']).toBe('1');
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.json()).toMatchObject({ status: 503, type: 'https://strata.dev/problems/password-hashing-busy' });
  expect(answer.headers['set-cookie']).toBeUndefined();
}
