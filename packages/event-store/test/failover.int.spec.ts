import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Decider, commandHandler } from '../src/index.js';
import { type TestStore, openTestStore } from './support.js';

// A failover as a client sees it: its session ended by pg_terminate_backend in the middle of what
// it was doing. Safe operations are tried again on a new connection, and a command is applied once.

const stack = inject('stack');
let t: TestStore;
const admin = new pg.Pool({ connectionString: stack.databaseUrl, max: 1, application_name: 'es-failover-admin' });

beforeAll(async () => {
  // as service-kit's postgresPlugin does for every app: a client in use that loses its connection
  // emits 'error', which with no listener would end the process
  t = await openTestStore(stack.databaseUrl, 'es_failover', 4, (pool) => {
    pool.on('connect', (client) => client.on('error', () => undefined));
    pool.on('error', () => undefined);
  });
});
afterAll(async () => {
  await t?.close();
  await admin.end();
});

type Added = { type: 'Added'; data: { n: number } };
const counter: Decider<{ type: 'Add'; n: number }, number, Added> = {
  decide: (command) => [{ type: 'Added', data: { n: command.n } }],
  evolve: (state, event) => state + event.data.n,
  initialState: 0,
};

const terminate = async (pid: number) => {
  await admin.query('select pg_terminate_backend($1)', [pid]);
};

describe('across a terminated connection', () => {
  it('a command is tried again and applied once, when its transaction lost its connection before COMMIT', async () => {
    const handler = commandHandler({ store: t.store, db: t.db, decider: counter, streamOf: (id: string) => `counter-${id}`, projections: [] });
    const id = randomUUID();
    let attempts = 0;
    const result = await handler.handle(id, { type: 'Add', n: 5 }, {
      after: async (trx) => {
        attempts++;
        if (attempts > 1) return;
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await terminate(rows[0]!.pid);
      },
    });
    expect(attempts).toBe(2);
    expect(result.version).toBe(1);
    const events = await t.store.readStream(`counter-${id}`);
    expect(events.map((e) => e.data)).toEqual([{ n: 5 }]);
  });

  it('reads and single-statement appends outside a transaction get a new connection', async () => {
    const streamId = `s-${randomUUID()}`;
    await t.store.append(streamId, [{ type: 'Added', data: { n: 1 } }], { expectedVersion: 'no_stream' });
    // every connection of the pool ends at once, as in a failover
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, ['event-store-test-es_failover']);
    expect((await t.store.readStream(streamId)).length).toBe(1);
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, ['event-store-test-es_failover']);
    const appended = await t.store.append(streamId, [{ type: 'Added', data: { n: 2 } }], { expectedVersion: 1 });
    expect(appended.nextExpectedVersion).toBe(2);
    expect(await t.store.streamVersion(streamId)).toBe(2);
  });

  it('a statement that is not safe to repeat is not repeated: the caller hears of the lost connection', async () => {
    const client = await t.pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    await terminate(rows[0]!.pid);
    await expect(client.query('select 1')).rejects.toThrow();
    client.release(true);
    // the pool itself is fine afterwards
    expect((await t.pool.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
  });
});
