import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type Evolve, type Projection, type RecordedEvent, Subscription, projectionSubscription, rebuildProjection } from '../src/index.js';
import { type TestStore, openTestStore, sleep } from './support.js';

const stack = inject('stack');
let t: TestStore;

type Added = { type: 'NumberAdded'; data: { n: number } };
interface CounterRow {
  stream_id: string;
  count: number;
  total: number;
  last_version: number;
  trail: string;
}

beforeAll(async () => {
  t = await openTestStore(stack.databaseUrl, 'es_projection', 12);
});
afterAll(async () => t?.close());

/** A read model that notices a missed, doubled or reordered event: count, sum and the order seen. */
function counterProjection(table: string, name: string): Projection<Added> {
  const ref = sql.id(t.schema, table);
  return {
    name,
    async reset(trx) {
      await sql`delete from ${ref}`.execute(trx);
    },
    async handle(events, trx) {
      for (const e of events) {
        await sql`insert into ${ref} as v (stream_id, count, total, last_version, trail)
          values (${e.streamId}, 1, ${e.data.n}, ${e.streamVersion}, ${String(e.data.n)})
          on conflict (stream_id) do update set count = v.count + 1, total = v.total + excluded.total,
            last_version = excluded.last_version, trail = v.trail || ',' || excluded.trail`.execute(trx);
      }
    },
  };
}

async function createView(table: string): Promise<void> {
  await sql`create table ${sql.id(t.schema, table)} (stream_id text primary key, count int not null, total bigint not null,
    last_version int not null, trail text not null)`.execute(t.db);
}

async function rows(table: string): Promise<CounterRow[]> {
  const { rows } = await sql<CounterRow>`select stream_id, count, total::int as total, last_version, trail
    from ${sql.id(t.schema, table)} order by stream_id`.execute(t.db);
  return rows;
}

/** The read model as the streams themselves say it should be. */
async function truth(streams: string[]): Promise<CounterRow[]> {
  const evolve: Evolve<CounterRow, RecordedEvent<Added>> = (s, e) => ({
    stream_id: e.streamId,
    count: s.count + 1,
    total: s.total + e.data.n,
    last_version: e.streamVersion,
    trail: s.trail === '' ? String(e.data.n) : `${s.trail},${e.data.n}`,
  });
  const out: CounterRow[] = [];
  for (const stream of [...streams].sort()) {
    const { state, version } = await t.store.aggregateStream(stream, evolve, { stream_id: stream, count: 0, total: 0, last_version: 0, trail: '' });
    if (version > 0) out.push(state);
  }
  return out;
}

describe('projections', () => {
  it('rebuilt from the log, equal the live read model built while writers were busy', async () => {
    const prefix = `p-${randomUUID()}`;
    await createView('counter_view');
    const projection = counterProjection('counter_view', `counter-${prefix}`);
    // two replicas run the same live projection: the checkpoint lock must keep each event to one
    const replicas = [projectionSubscription(t.store, projection, { batchSize: 50 }), projectionSubscription(t.store, projection, { batchSize: 50 })];
    for (const r of replicas) r.start();

    const streams = Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 250; i++) {
          await t.db.transaction().execute(async (trx) => {
            await t.store.append(streams[Math.floor(Math.random() * streams.length)]!, [{ type: 'NumberAdded', data: { n: Math.floor(Math.random() * 100) } }], {
              expectedVersion: 'any',
              transaction: trx,
            });
            if (Math.random() < 0.3) await sleep(Math.random() * 3);
          });
        }
      }),
    );
    const expected = await truth(streams);
    await vi.waitFor(async () => expect(await rows('counter_view')).toEqual(expected), { timeout: 20_000, interval: 100 });
    await Promise.all(replicas.map((r) => r.stop()));
    const live = await rows('counter_view');
    expect(live.reduce((sum, r) => sum + r.count, 0)).toBe(1_000);

    await rebuildProjection(t.store, projection, { batchSize: 100 });
    expect(await rows('counter_view')).toEqual(live);
  });

  it('applies a batch exactly once when its handler fails part-way: the writes and the checkpoint roll back together', async () => {
    const prefix = `f-${randomUUID()}`;
    await createView('flaky_view');
    const base = counterProjection('flaky_view', `flaky-${prefix}`);
    let calls = 0;
    const sub = new Subscription<Added>({
      store: t.store,
      name: `flaky-${prefix}`,
      batchSize: 7,
      handle: async (events, trx) => {
        // only this test's streams: other tests' events share the log
        const mine = events.filter((e) => e.streamId.startsWith(prefix));
        await base.handle(mine, trx);
        // every third batch fails after its writes
        if (++calls % 3 === 0) throw new Error('handler crashed after writing');
      },
    });
    const streams = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    for (let i = 0; i < 60; i++) await t.store.append(streams[i % 3]!, [{ type: 'NumberAdded', data: { n: i } }], { expectedVersion: 'any' });

    // run it by hand: a failed batch throws, the next attempt starts again from the same checkpoint
    let failures = 0;
    for (;;) {
      try {
        if ((await sub.processBatch()) === 0) break;
      } catch {
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(0);
    expect(await rows('flaky_view')).toEqual(await truth(streams));
  });
});
