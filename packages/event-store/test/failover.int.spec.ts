import { randomUUID } from 'node:crypto';
import { type DatabaseConnection, type Driver, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CommitOutcomeUnknownError, type Decider, EventStore, commandHandler, isConnectionError } from '../src/index.js';
import { type TestStore, openTestStore, sleep } from './support.js';

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

// waits for the backend to exit, and a moment for its client to hear of it: a client that got
// 57P01 but not yet the socket's end goes back to the pool as if it were fine, and the next test
// would get it
const terminate = async (pid: number) => {
  await admin.query('select pg_terminate_backend($1, 5000)', [pid]);
  await sleep(100);
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

  it('a read and a single-statement append outside a transaction, whose session is ended while they run, are run again on a new connection', async () => {
    const streamId = `s-${randomUUID()}`;
    await t.store.append(streamId, [{ type: 'Added', data: { n: 1 } }], { expectedVersion: 'no_stream' });
    // each is cut while it runs (waiting on a lock), not while its connection sits idle in the
    // pool (which pg-pool drops by itself): only running it again gets an answer
    const read = await whileBlockedThenTerminated(() => t.store.readStream(streamId));
    expect(read.length).toBe(1);
    const appended = await whileBlockedThenTerminated(() => t.store.append(streamId, [{ type: 'Added', data: { n: 2 } }], { expectedVersion: 1 }));
    expect(appended.nextExpectedVersion).toBe(2);
    expect((await t.store.readStream(streamId)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('a statement that is not safe to repeat is not repeated: the caller hears of the lost connection', async () => {
    await sql.raw(`create sequence if not exists "${t.schema}".probe`).execute(t.db);
    // nextval is not undone by a rollback: run again, it would have been called twice
    const statement = () => sql`select nextval(${`"${t.schema}".probe`}::regclass) as n, (select count(*) from ${sql.table(`${t.schema}.events`)}) as events`.execute(t.db);
    const failure = await whileBlockedThenTerminated(statement).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isConnectionError(failure)).toBe(true);
    // it never ran (it was cut while waiting for the lock) and was not run again; the pool is fine
    const { rows } = await sql<{ n: string }>`select nextval(${`"${t.schema}".probe`}::regclass) as n`.execute(t.db);
    expect(Number(rows[0]!.n)).toBe(1);
    expect((await sql<{ one: number }>`select 1 as one`.execute(t.db)).rows[0]!.one).toBe(1);
  });

  it('a read on a connection that holds a session lock is not moved to a new connection, where the lock is not held', async () => {
    const failure = await t.db.connection().execute(async (conn) => {
      await sql`select pg_advisory_lock(hashtextextended('es-failover-pinned', 0))`.execute(conn);
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
      await terminate(rows[0]!.pid);
      return sql`select count(*) from ${sql.table(`${t.schema}.events`)}`.execute(conn).then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect(isConnectionError(failure)).toBe(true);
  });
});

/**
 * Runs `operation` while the store's events table is locked, ends the session of the store's
 * pool that waits on that lock (as a failover ends every session), then lets the lock go.
 */
async function whileBlockedThenTerminated<T>(operation: () => Promise<T>): Promise<T> {
  const locker = new pg.Client({ connectionString: stack.databaseUrl, application_name: 'es-failover-locker' });
  await locker.connect();
  try {
    await locker.query('begin');
    await locker.query(`lock table "${t.schema}".events in access exclusive mode`);
    const running = operation();
    running.catch(() => undefined);
    let blocked: number[] = [];
    for (let i = 0; i < 200 && blocked.length === 0; i++) {
      const { rows } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`,
        ['event-store-test-es_failover'],
      );
      blocked = rows.map((r) => r.pid);
      if (blocked.length === 0) await sleep(25);
    }
    expect(blocked.length).toBeGreaterThan(0);
    for (const pid of blocked) await terminate(pid);
    await locker.query('commit');
    return await running;
  } finally {
    await locker.end();
  }
}

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

/**
 * A driver whose next COMMIT loses its answer while the server is still committing: the COMMIT is
 * sent and left running, and the caller at once gets CommitOutcomeUnknownError, as when a socket
 * drops while the server waits on its synchronous standby. The session is left to finish alone.
 */
function commitStillRunning(pool: pg.Pool, lose: { times: number }) {
  const committing = new Map<DatabaseConnection, Promise<unknown>>();
  class Dialect extends PostgresDialect {
    override createDriver(): Driver {
      const inner = super.createDriver();
      return new Proxy(inner, {
        get(target, prop) {
          if (prop === 'commitTransaction') {
            return async (connection: DatabaseConnection) => {
              if (lose.times <= 0) return target.commitTransaction(connection);
              lose.times--;
              committing.set(connection, target.commitTransaction(connection).catch(() => undefined));
              throw new CommitOutcomeUnknownError(new Error('Connection terminated unexpectedly'));
            };
          }
          // the session is lost to this client: no ROLLBACK on it, and it goes back to the pool
          // only once the server is done with it
          if (prop === 'rollbackTransaction') {
            return async (connection: DatabaseConnection) => {
              if (!committing.has(connection)) return target.rollbackTransaction(connection);
            };
          }
          if (prop === 'releaseConnection') {
            return async (connection: DatabaseConnection) => {
              const commit = committing.get(connection);
              if (!commit) return target.releaseConnection(connection);
              committing.delete(connection);
              void commit.then(() => target.releaseConnection(connection));
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
  it('while the server is still committing: the transaction is waited for, and the command is not applied again', async () => {
    // a deferred trigger holds the COMMIT on the server, its events not visible yet, as a
    // synchronous standby's confirmation does
    const fn = `"${t.schema}".slow_commit`;
    await sql.raw(`create or replace function ${fn}() returns trigger language plpgsql as $$
      begin if new.stream_id like 'slow-%' then perform pg_sleep(1); end if; return null; end $$`).execute(t.db);
    await sql.raw(`create constraint trigger slow_commit after insert on "${t.schema}".events
      deferrable initially deferred for each row execute function ${fn}()`).execute(t.db);
    const lose = { times: 1 };
    const db = commitStillRunning(t.pool, lose);
    const store = new EventStore({ db, schema: t.schema });
    const handler = commandHandler({ store, db, decider: counter, streamOf: (id: string) => `slow-${id}`, projections: [] });
    const id = randomUUID();
    let attempts = 0;
    const result = await handler.handle(id, { type: 'Add', n: 3 }, { after: async () => void attempts++ });
    expect(lose.times).toBe(0);
    expect(attempts).toBe(1);
    expect(result.version).toBe(1);
    expect((await t.store.readStream(`slow-${id}`)).map((e) => e.data)).toEqual([{ n: 3 }]);
  });


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
