import { randomUUID } from 'node:crypto';
import { type DatabaseConnection, type Driver, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CommitOutcomeUnknownError, type Decider, EventStore, commandHandler } from '../src/index.js';
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

/**
 * A driver whose next COMMITs lose their answer, as a connection cut right after sending COMMIT
 * does: the transaction is committed (or, with `commits: false`, rolled back) on the real server,
 * and the caller gets CommitOutcomeUnknownError, which is what the resilient driver throws then.
 */
function losingCommits(pool: pg.Pool, lose: { times: number; commits: boolean }) {
  class Dialect extends PostgresDialect {
    override createDriver(): Driver {
      const inner = super.createDriver();
      return new Proxy(inner, {
        get(target, prop) {
          if (prop === 'commitTransaction') {
            return async (connection: DatabaseConnection) => {
              if (lose.times <= 0) return target.commitTransaction(connection);
              lose.times--;
              if (lose.commits) await target.commitTransaction(connection);
              else await target.rollbackTransaction(connection);
              throw new CommitOutcomeUnknownError(new Error('Connection terminated unexpectedly'));
            };
          }
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    }
  }
  return new Kysely<unknown>({ dialect: new Dialect({ pool }) });
}

describe('a COMMIT whose answer was lost', () => {
  for (const commits of [true, false]) {
    it(commits ? 'that did commit: the command is looked up in the log and not applied again' : 'that did not commit: the command is tried again and applied once', async () => {
      const lose = { times: 1, commits };
      const db = losingCommits(t.pool, lose);
      const store = new EventStore({ db, schema: t.schema });
      const handler = commandHandler({ store, db, decider: counter, streamOf: (id: string) => `lost-${id}`, projections: [] });
      const id = randomUUID();
      let attempts = 0;
      const result = await handler.handle(id, { type: 'Add', n: 7 }, { after: async () => void attempts++ });
      expect(lose.times).toBe(0);
      expect(attempts).toBe(commits ? 1 : 2);
      expect(result.version).toBe(1);
      expect((await t.store.readStream(`lost-${id}`)).map((e) => e.data)).toEqual([{ n: 7 }]);
    });
  }
});
