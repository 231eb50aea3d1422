import { type CompiledQuery, Kysely, PostgresDialect, type RawBuilder, sql } from 'kysely';
import { createServer } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isReadOnlyStatement } from '../src/resilient-driver.js';
import { CommitOutcomeUnknownError, FAILOVER_RETRY, connectionFailureOf, isConnectionError, retryDelay, withRetries } from '../src/transient.js';

const pgError = (code: string, message: string) => Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code });

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('connection errors', () => {
  it('are the SQLSTATEs of a server that went away or is starting, and class 08', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '08P01', '53300', '25006']) {
      expect(isConnectionError(pgError(code, 'x')), code).toBe(true);
    }
    expect(connectionFailureOf(pgError('57P01', 'terminating connection due to administrator command'))).toBe('57P01: terminating connection due to administrator command');
  });

  it('are not what the statement itself did wrong', () => {
    for (const code of ['23505', '40P01', '42P01', '22P02', '28P01', '3D000', '57014']) expect(isConnectionError(pgError(code, 'x')), code).toBe(false);
    expect(isConnectionError(new Error('connection string postgres://secret@db is malformed'))).toBe(false);
    expect(isConnectionError(undefined)).toBe(false);
    expect(isConnectionError('ECONNRESET')).toBe(false);
  });

  it("are pg's and pg-pool's messages without a code, and socket errors, however deep in a cause", () => {
    for (const message of ['Connection terminated unexpectedly', 'Connection terminated due to connection timeout', 'timeout exceeded when trying to connect', 'Client has encountered a connection error and is not queryable']) {
      expect(isConnectionError(new Error(message)), message).toBe(true);
    }
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isConnectionError(new Error('wrapped', { cause: new Error('again', { cause: reset }) }))).toBe(true);
    expect(isConnectionError(new AggregateError([new Error('no'), reset]))).toBe(true);
    expect(isConnectionError(new CommitOutcomeUnknownError(reset))).toBe(true);
  });

  it('include what pg really throws for a server that is not there', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'x', database: 'x' });
    const error = await client.connect().then(() => undefined, (e: unknown) => e);
    expect(connectionFailureOf(error)).toBe('ECONNREFUSED');
  });
});

describe('the retry policy', () => {
  it('doubles its delay from the first up to the ceiling, less up to the jitter', () => {
    const none = { ...FAILOVER_RETRY, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => retryDelay(none, n))).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000]);
    expect(retryDelay(FAILOVER_RETRY, 3, () => 1)).toBe(200);
    expect(retryDelay(FAILOVER_RETRY, 3, () => 0)).toBe(400);
  });

  it('retries a connection error until it succeeds', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await withRetries(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw pgError('57P01', 'terminating connection due to administrator command');
        return 'done';
      },
      { sleep: async (ms) => slept.push(ms), random: () => 0 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    expect(slept).toEqual([50, 100, 200]);
  });

  it('gives up when the next delay would pass the time budget, with the last failure', async () => {
    let clock = 0;
    let calls = 0;
    const failure = await withRetries(
      async () => {
        calls++;
        throw pgError('57P03', `the database system is starting up (${calls})`);
      },
      { now: () => clock, sleep: async (ms) => (clock += ms), random: () => 0 },
    ).then(() => undefined, (e: unknown) => e as Error);
    // 50+100+200+400+800+1000+1000+1000 = 4550 ms; the next 1000 would pass 5000
    expect(calls).toBe(9);
    expect(clock).toBe(4550);
    expect(failure?.message).toBe('the database system is starting up (9)');
  });

  it('never retries what is not a connection error', async () => {
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls++;
        throw pgError('23505', 'duplicate key value violates unique constraint');
      }, { sleep: async () => undefined }),
    ).rejects.toThrow('duplicate key');
    expect(calls).toBe(1);
  });
});

describe('statements retried outside a transaction', () => {
  const db = new Kysely<{ t: { a: number } }>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });
  const compiled = (q: { compile(): CompiledQuery }) => q.compile();
  const raw = (q: RawBuilder<unknown>) => q.compile(db);

  it('are reads', () => {
    expect(isReadOnlyStatement(compiled(db.selectFrom('t').selectAll()))).toBe(true);
    expect(isReadOnlyStatement(raw(sql`/*strata-es:prepared*/ select * from t where a = ${1}`))).toBe(true);
    // SQL words and read-only functions, as the store's reads use them
    expect(isReadOnlyStatement(raw(sql`select count(*) as n from "s"."events" where event_id = any(${['x']}::uuid[])`))).toBe(true);
    expect(isReadOnlyStatement(raw(sql`select a from t where (a, b) > (${1}::xid8, ${2}::bigint) and a < pg_snapshot_xmin(pg_current_snapshot())`))).toBe(true);
    expect(isReadOnlyStatement(raw(sql`select pg_xact_status(${'1'}::xid8) as status`))).toBe(true);
    const readCte = db.with('x', (q) => q.selectFrom('t').select('a')).selectFrom('x').select((eb) => eb.fn.count('a').as('n'));
    expect(isReadOnlyStatement(compiled(readCte))).toBe(true);
  });

  it('are not writes, locks, notifications or sequences', () => {
    expect(isReadOnlyStatement(compiled(db.insertInto('t').values({ a: 1 })))).toBe(false);
    expect(isReadOnlyStatement(compiled(db.updateTable('t').set({ a: 2 })))).toBe(false);
    expect(isReadOnlyStatement(compiled(db.deleteFrom('t')))).toBe(false);
    expect(isReadOnlyStatement(compiled(db.selectFrom('t').selectAll().forUpdate()))).toBe(false);
    expect(isReadOnlyStatement(raw(sql`with x as (insert into t values (1) returning a) select * from x`))).toBe(false);
    // a select whose function writes, or one of the application's: not known to be safe
    for (const text of ['select insights.refresh_search_docs($1)', 'select refresh_search_docs($1)', 'select "f"(1)', 'select pg_catalog.lower($1)']) {
      expect(isReadOnlyStatement(raw(sql.raw(text))), text).toBe(false);
    }
    // Kysely: a data-modifying CTE, a function call outside the allow-list
    const cte = db.with('x', (q) => q.insertInto('t').values({ a: 1 }).returning('a')).selectFrom('x').selectAll();
    expect(isReadOnlyStatement(compiled(cte))).toBe(false);
    expect(isReadOnlyStatement(compiled(db.selectFrom('t').select((eb) => eb.fn('refresh_search_docs', [eb.val(1)]).as('r'))))).toBe(false);
    expect(isReadOnlyStatement(compiled(db.selectFrom('t').select(sql`pg_current_xact_id()`.as('x'))))).toBe(false);
    for (const text of ['select pg_advisory_lock(1)', 'select pg_try_advisory_lock(hashtext($1))', "select pg_notify('c', '')", "select nextval('s')", 'select * from t for share']) {
      expect(isReadOnlyStatement(raw(sql.raw(text))), text).toBe(false);
    }
  });
});
