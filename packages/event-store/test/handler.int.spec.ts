import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Clock, ConcurrencyError, type Decider, type Evolve, type RecordedEvent, commandHandler, projection } from '../src/index.js';
import { type TestStore, openTestStore, sleep } from './support.js';

const stack = inject('stack');
let t: TestStore;

beforeAll(async () => {
  t = await openTestStore(stack.databaseUrl, 'es_handler', 12);
  await sql`create table ${sql.id(t.schema, 'totals')} (stream_id text primary key, count int not null, total bigint not null,
    last_version int not null, trail text not null)`.execute(t.db);
  await sql`create table ${sql.id(t.schema, 'labels')} (stream_id text primary key, label text not null)`.execute(t.db);
});
afterAll(async () => t?.close());

// A tiny decider: a counter that refuses to go above a limit, and can be labelled.
type Added = { type: 'NumberAdded'; data: { n: number } };
type Labelled = { type: 'CounterLabelled'; data: { label: string } };
type CounterEvent = Added | Labelled;
type CounterCommand = { type: 'Add'; n: number; limit?: number } | { type: 'Label'; label: string };
class LimitReached extends Error {}
const evolve: Evolve<number, CounterEvent> = (state, event) => (event.type === 'NumberAdded' ? state + event.data.n : state);
const counter: Decider<CounterCommand, number, CounterEvent> = {
  decide(command, state) {
    if (command.type === 'Label') return [{ type: 'CounterLabelled', data: { label: command.label } }];
    if (state + command.n > (command.limit ?? Number.MAX_SAFE_INTEGER)) throw new LimitReached();
    return [{ type: 'NumberAdded', data: { n: command.n } }];
  },
  evolve,
  initialState: 0,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test schema's tables are created at run time
type Db = any;

/** A read model that notices a missed, doubled or reordered event: count, sum and the order seen. */
const totals = projection<CounterEvent, Db>()({
  name: 'totals',
  handles: ['NumberAdded'],
  async evolve(trx, e) {
    await sql`insert into ${sql.id(t.schema, 'totals')} as v (stream_id, count, total, last_version, trail)
      values (${e.streamId}, 1, ${e.data.n}, ${e.streamVersion}, ${String(e.data.n)})
      on conflict (stream_id) do update set count = v.count + 1, total = v.total + excluded.total,
        last_version = excluded.last_version, trail = v.trail || ',' || excluded.trail`.execute(trx);
  },
  async reset(trx) {
    await sql`delete from ${sql.id(t.schema, 'totals')}`.execute(trx);
  },
});

const labels = projection<CounterEvent, Db>()({
  name: 'labels',
  handles: ['CounterLabelled'],
  async evolve(trx, e) {
    await sql`insert into ${sql.id(t.schema, 'labels')} (stream_id, label) values (${e.streamId}, ${e.data.label})
      on conflict (stream_id) do update set label = excluded.label`.execute(trx);
  },
  async reset(trx) {
    await sql`delete from ${sql.id(t.schema, 'labels')}`.execute(trx);
  },
});

const handlerOf = (clock?: Clock) =>
  commandHandler({ store: t.store, db: t.db as Kysely<Db>, decider: counter, streamOf: (id: string) => `counter-${id}`, projections: [totals, labels], ...(clock ? { clock } : {}) });

interface TotalsRow {
  stream_id: string;
  count: number;
  total: number;
  last_version: number;
  trail: string;
}

async function rows(prefix: string): Promise<TotalsRow[]> {
  const { rows } = await sql<TotalsRow>`select stream_id, count, total::int as total, last_version, trail
    from ${sql.id(t.schema, 'totals')} where stream_id like ${`${prefix}%`} order by stream_id`.execute(t.db);
  return rows;
}

/** The read model as the streams themselves say it should be. */
async function truth(streams: string[]): Promise<TotalsRow[]> {
  const fold: Evolve<TotalsRow, RecordedEvent<CounterEvent>> = (s, e) =>
    e.type !== 'NumberAdded'
      ? s
      : { stream_id: e.streamId, count: s.count + 1, total: s.total + e.data.n, last_version: e.streamVersion, trail: s.trail === '' ? String(e.data.n) : `${s.trail},${e.data.n}` };
  const out: TotalsRow[] = [];
  for (const stream of [...streams].sort()) {
    const { state } = await t.store.aggregateStream(stream, fold, { stream_id: stream, count: 0, total: 0, last_version: 0, trail: '' });
    if (state.count > 0) out.push(state);
  }
  return out;
}

describe('commandHandler', () => {
  it('reads, decides and appends with the version read', async () => {
    const handler = handlerOf();
    const id = randomUUID();
    const first = await handler.handle(id, { type: 'Add', n: 4, limit: 10 }, { metadata: { actor: 'user-1' } });
    expect(first).toMatchObject({ state: 4, version: 1 });
    const second = await handler.handle(id, { type: 'Add', n: 5, limit: 10 });
    expect(second).toMatchObject({ state: 9, version: 2 });
    await expect(handler.handle(id, { type: 'Add', n: 5, limit: 10 })).rejects.toBeInstanceOf(LimitReached);
    expect(await handler.load(id)).toEqual({ state: 9, version: 2 });
    expect((await t.store.readStream(`counter-${id}`))[0]!.metadata).toEqual({ actor: 'user-1' });
  });

  it('never loses an update: concurrent commands conflict, or with retries all apply', async () => {
    const handler = handlerOf();
    const id = randomUUID();
    const noRetry = await Promise.allSettled(Array.from({ length: 10 }, () => handler.handle(id, { type: 'Add', n: 1 })));
    const applied = noRetry.filter((r) => r.status === 'fulfilled').length;
    expect(noRetry.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ConcurrencyError)).toBe(true);
    expect((await handler.load(id)).state).toBe(applied);
    expect((await rows(`counter-${id}`))[0]?.count).toBe(applied);

    const other = randomUUID();
    await Promise.all(Array.from({ length: 10 }, () => handler.handle(other, { type: 'Add', n: 1 }, { retries: 20 })));
    expect(await handler.load(other)).toEqual({ state: 10, version: 10 });
    expect(await rows(`counter-${other}`)).toEqual(await truth([`counter-${other}`]));
  });

  it('checks the version the client sent (If-Match) before deciding', async () => {
    const handler = handlerOf();
    const id = randomUUID();
    await handler.handle(id, { type: 'Add', n: 1 });
    await expect(handler.handle(id, { type: 'Add', n: 1 }, { expectedVersion: 0 })).rejects.toMatchObject({ name: 'ConcurrencyError', expected: 0, actual: 1 });
    await handler.handle(id, { type: 'Add', n: 1 }, { expectedVersion: 1 });
    expect(await t.store.streamVersion(`counter-${id}`)).toBe(2);
  });

  it('runs each projection on the types it handles, in the append’s transaction, with the caller’s rows after them', async () => {
    const at = new Date('2026-05-06T07:08:09.123Z');
    const handler = handlerOf({ now: () => at });
    const id = randomUUID();
    const stream = `counter-${id}`;
    const seen: unknown[] = [];
    const result = await handler.handle(id, { type: 'Label', label: 'first' }, {
      after: async (trx, r) => {
        // the projection's row is already there, in this same transaction
        const { rows } = await sql<{ label: string }>`select label from ${sql.id(t.schema, 'labels')} where stream_id = ${stream}`.execute(trx);
        seen.push(rows[0]?.label, r.version);
      },
    });
    expect(seen).toEqual(['first', 1]);
    expect(await rows(stream)).toEqual([]);
    // the projected event and the stored one agree on when it happened
    expect(result.events[0]!.occurredAt).toEqual(at);
    expect((await t.store.readStream(stream))[0]!.occurredAt).toEqual(at);

    // a caller's row that fails takes the events and the projections' rows with it
    await expect(
      handler.handle(id, { type: 'Add', n: 3 }, {
        after: async () => {
          throw new Error('quota exceeded');
        },
      }),
    ).rejects.toThrow('quota exceeded');
    expect(await t.store.streamVersion(stream)).toBe(1);
    expect(await rows(stream)).toEqual([]);
  });

  it("runs inside the caller's transaction: commands on several streams commit, or roll back, as one", async () => {
    const handler = handlerOf();
    const [x, y] = [randomUUID(), randomUUID()];
    const db = t.db as Kysely<Db>;
    await db.transaction().execute(async (trx: Db) => {
      await handler.handle(x, { type: 'Add', n: 2 }, { transaction: trx });
      await handler.handle(y, { type: 'Add', n: 3 }, { transaction: trx });
      // nothing is visible outside it before it commits
      expect(await t.store.streamVersion(`counter-${x}`)).toBe(0);
    });
    expect(await rows(`counter-${x}`)).toEqual(await truth([`counter-${x}`]));
    expect((await handler.load(y)).state).toBe(3);

    // a command that fails takes the other streams' events and rows with it
    await expect(
      db.transaction().execute(async (trx: Db) => {
        await handler.handle(x, { type: 'Add', n: 1 }, { transaction: trx });
        await handler.handle(y, { type: 'Add', n: 100, limit: 10 }, { transaction: trx });
      }),
    ).rejects.toBeInstanceOf(LimitReached);
    expect(await handler.load(x)).toEqual({ state: 2, version: 1 });
    expect((await rows(`counter-${x}`))[0]).toMatchObject({ count: 1, total: 2 });

    // a stale expected version inside it is a ConcurrencyError that leaves the transaction usable
    await db.transaction().execute(async (trx: Db) => {
      await expect(handler.handle(x, { type: 'Add', n: 1 }, { transaction: trx, expectedVersion: 0 })).rejects.toBeInstanceOf(ConcurrencyError);
      await handler.handle(x, { type: 'Add', n: 1 }, { transaction: trx });
    });
    expect(await handler.load(x)).toEqual({ state: 3, version: 2 });
  });

  it('rebuilds a projection from the log equal to the live one, while writers keep going', async () => {
    const handler = handlerOf();
    const prefix = `counter-${randomUUID()}`;
    const ids = Array.from({ length: 20 }, (_, i) => `${prefix.slice('counter-'.length)}-${i}`);
    const streams = ids.map((id) => `counter-${id}`);
    const write = (times: number) =>
      Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < times; i++) {
            await handler.handle(ids[Math.floor(Math.random() * ids.length)]!, { type: 'Add', n: Math.floor(Math.random() * 100) }, {
              retries: 50,
              after: async () => {
                if (Math.random() < 0.3) await sleep(Math.random() * 3);
              },
            });
          }
        }),
      );
    await write(150);
    const live = await rows(prefix);
    expect(live).toEqual(await truth(streams));
    expect(live.reduce((sum, r) => sum + r.count, 0)).toBe(600);

    expect(await handler.rebuild(totals)).toBeGreaterThanOrEqual(600);
    expect(await rows(prefix)).toEqual(live);

    // rebuilds racing the writers: a command waits for a rebuild (and a rebuild for the commands
    // under way), so neither loses an event
    await Promise.all([write(100), (async () => {
      for (let i = 0; i < 3; i++) {
        await handler.rebuild(totals);
        await sleep(5);
      }
    })()]);
    const after = await rows(prefix);
    expect(after.reduce((sum, r) => sum + r.count, 0)).toBe(1_000);
    expect(after).toEqual(await truth(streams));
    await handler.rebuild(totals);
    expect(await rows(prefix)).toEqual(after);
  });

  it('refuses to rebuild a projection it does not run', async () => {
    const handler = commandHandler({ store: t.store, db: t.db as Kysely<Db>, decider: counter, streamOf: (id: string) => id, projections: [labels] });
    await expect(handler.rebuild(totals)).rejects.toThrow(/not one of this handler's/);
  });
});
