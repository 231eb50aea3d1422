/**
 * npm run bench -w @strata/event-store
 *
 * Against the local Postgres (database strata_bench, created when missing; BENCH_DATABASE_URL
 * overrides): appends per second for 1 and 8 writers beside raw single-row pg inserts of the same
 * row shape with the same number of clients, measured in the same run and interleaved; then the
 * relay's publish lag at a steady 500 events/s (commit acknowledged → publisher handed the event),
 * through the files app's Dapr sidecar when one answers (DAPR_HTTP_PORT, default 3501), else a
 * publisher that records timestamps.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { DaprClient } from '@strata/dapr';
import { DaprPublisher, EventStore, type Publisher, type RecordedEvent, Relay, kyselyFromPool } from '../src/index.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/strata_bench';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 10);
const RATE = 500;

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

const payload = () => ({ name: `file-${randomBytes(4).toString('hex')}.txt`, size: 12_345, mime: 'text/plain' });
const metadata = () => ({ actor: 'bench', correlationId: randomUUID() });

/** Runs `writers` loops of `op` for SECONDS; returns operations per second. */
async function measure(writers: number, op: (writer: number, i: number) => Promise<void>): Promise<number> {
  let count = 0;
  const end = performance.now() + SECONDS * 1_000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        await op(w, i);
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1_000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function throughput(schema: string) {
  const results: { writers: number; raw: number; store: number; storeNotify: number }[] = [];
  for (const writers of [1, 8]) {
    const pool = new pg.Pool({ connectionString: BASE_URL, max: writers });
    const db = kyselyFromPool(pool);
    const store = new EventStore({ db, schema });
    const notifying = new EventStore({ db, schema, notify: true });
    // each writer appends to its own streams in turn, expecting the version it last wrote, as
    // a command handler does; the raw insert writes the same columns into a table with a primary key
    const versions = new Map<string, number>();
    const append = (s: EventStore) => async (w: number, i: number) => {
      const stream = `bench-${writers}-${w}-${i % 50}-${s === notifying ? "n" : "q"}`;
      const version = versions.get(stream) ?? 0;
      const result = await s.append(stream, [{ type: 'FileUploaded', data: payload() }], { expectedVersion: version, metadata: metadata() });
      versions.set(stream, result.nextExpectedVersion);
    };
    const raw = async (w: number, i: number) => {
      await pool.query(
        `insert into "${schema}".raw_events (event_id, tx_order, stream_id, stream_version, type, schema_version, data, metadata, occurred_at)
         values ($1, pg_current_xact_id(), $2, $3, $4, $5, $6, $7, $8)`,
        [randomUUID(), `raw-${w}-${i % 50}`, i, 'FileUploaded', 1, JSON.stringify(payload()), JSON.stringify(metadata()), new Date()],
      );
    };
    const sums = { raw: 0, store: 0, storeNotify: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      sums.raw += await measure(writers, raw);
      sums.store += await measure(writers, append(store));
      sums.storeNotify += await measure(writers, append(notifying));
    }
    results.push({ writers, raw: sums.raw / ROUNDS, store: sums.store / ROUNDS, storeNotify: sums.storeNotify / ROUNDS });
    await db.destroy();
  }
  return results;
}

async function lag(schema: string) {
  const pool = new pg.Pool({ connectionString: BASE_URL, max: 4 });
  const store = new EventStore({ db: kyselyFromPool(pool), schema });
  const committedAt = new Map<string, number>();
  const lags: number[] = [];
  let measuring = false;
  const dapr = new DaprClient({ httpPort: Number(process.env.DAPR_HTTP_PORT ?? 3501) });
  const useDapr = await dapr.isOutboundReady();
  const handed = (events: readonly RecordedEvent[]) => {
    const now = performance.now();
    for (const e of events) {
      const at = committedAt.get(e.id);
      // the relay can see a commit before its writer has the acknowledgement: count that as 0
      if (measuring && at !== undefined) lags.push(Math.max(0, now - at));
      else if (measuring) pendingHand.set(e.id, now);
    }
  };
  const pendingHand = new Map<string, number>();
  const daprPublisher = new DaprPublisher({
    dapr,
    pubsub: 'pubsub',
    source: 'strata/bench',
    topic: () => 'bench.event-store',
    toPublished: (event) => ({ type: event.type, schemaVersion: event.schemaVersion, data: event.data }),
  });
  const publisher: Publisher = {
    async publish(events) {
      handed(events);
      if (useDapr) await daprPublisher.publish(events);
    },
  };
  const relayName = `bench-${randomUUID()}`;
  const relay = new Relay({ store, publisher, connection: BASE_URL, name: relayName });
  // start from the log's end: the throughput phase's events are not part of this measurement
  const end = await pool.query(`select tx_order::text as t, global_position as p from "${schema}".events order by tx_order desc, global_position desc limit 1`);
  if (end.rows[0]) {
    await pool.query(`insert into "${schema}".checkpoints (name, tx_order, global_position) values ($1, $2::xid8, $3)`, [
      `relay:${relayName}`,
      end.rows[0].t,
      end.rows[0].p,
    ]);
  }
  relay.start();
  await new Promise((r) => setTimeout(r, 500));

  const total = RATE * (LAG_SECONDS + 1);
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1_000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // the first second warms up
    measuring = i >= RATE;
    const id = randomUUID();
    const track = measuring;
    inFlight.push(
      store
        .append(`lag-${i % 200}`, [{ id, type: 'FileUploaded', data: payload() }], { expectedVersion: 'any', metadata: metadata() })
        .then(() => {
          const now = performance.now();
          if (!track) return;
          const early = pendingHand.get(id);
          if (early !== undefined) {
            lags.push(0);
            pendingHand.delete(id);
          } else committedAt.set(id, now);
        }),
    );
  }
  await Promise.all(inFlight);
  const achieved = total / ((performance.now() - t0) / 1_000);
  const deadline = performance.now() + 10_000;
  while (lags.length < total - RATE && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await relay.stop();
  await pool.end();
  const sorted = [...lags].sort((a, b) => a - b);
  return { useDapr, achieved, count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

await ensureDatabase(BASE_URL);
const schema = `bench_${randomBytes(3).toString('hex')}`;
const setupPool = new pg.Pool({ connectionString: BASE_URL, max: 2 });
await EventStore.open({ db: kyselyFromPool(setupPool), schema });
await setupPool.query(`create table "${schema}".raw_events (
  event_id uuid primary key, global_position bigint generated always as identity, tx_order xid8 not null,
  stream_id text not null, stream_version bigint not null, type text not null, schema_version integer not null,
  data jsonb not null, metadata jsonb not null, occurred_at timestamptz not null, recorded_at timestamptz not null default now())`);
const settings = await setupPool.query<{ name: string; setting: string }>(
  `select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'server_version')`,
);
try {
  console.log(`event-store bench: ${BASE_URL.replace(/\/\/[^@]*@/, '//')}, schema ${schema}, ${SECONDS} s × ${ROUNDS} rounds per figure`);
  console.log(`postgres: ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}`);
  for (const r of await throughput(schema)) {
    console.log(
      `${r.writers} writer(s): raw inserts ${r.raw.toFixed(0)}/s, appends ${r.store.toFixed(0)}/s (ratio ${(r.store / r.raw).toFixed(2)}), ` +
        `appends with NOTIFY ${r.storeNotify.toFixed(0)}/s (ratio ${(r.storeNotify / r.raw).toFixed(2)})`,
    );
  }
  const l = await lag(schema);
  console.log(
    `relay lag at ${RATE}/s (achieved ${l.achieved.toFixed(0)}/s, ${l.count} events, publisher: ${l.useDapr ? 'Dapr sidecar' : 'recording publisher (no sidecar answered)'}): ` +
      `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, max ${l.max.toFixed(2)} ms`,
  );
} finally {
  await setupPool.query(`drop schema "${schema}" cascade`);
  await setupPool.end();
}
