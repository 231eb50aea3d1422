/**
 * The delivery queue against a real Postgres (a database of its own beside the test stack's, so
 * the stack's dispatcher sends none of these): the subscriber's dedupe, filters and owners, order
 * per file when events arrive out of order or never, leases that outlive a dead sender, dead letters.
 */
import { randomUUID } from 'node:crypto';
import type {} from '@strata/testing';
import { kyselyFromPool } from '@strata/event-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { migrate } from '../src/db/migrate.js';
import type { Database } from '../src/db/schema.js';
import { WebhookStore } from '../src/store.js';

const stack = inject('stack');
const DATABASE = `${new URL(stack.databaseUrl).pathname.slice(1)}_webhooks_store`;
const GAP = 60_000;
const LEASE = 30_000;

let admin: pg.Client;
let pool: pg.Pool;
let db: Kysely<Database>;
let store: WebhookStore;
const t0 = new Date('2026-12-02T06:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

beforeAll(async () => {
  admin = new pg.Client({ connectionString: stack.databaseUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${DATABASE}`);
  await admin.query(`create database ${DATABASE}`);
  const url = new URL(stack.databaseUrl);
  url.pathname = `/${DATABASE}`;
  pool = new pg.Pool({ connectionString: url.href, max: 4 });
  db = kyselyFromPool(pool, { namedStatements: false }) as Kysely<Database>;
  await migrate(db as Kysely<unknown>);
  store = new WebhookStore(db);
});
// the queue is claimed as a whole: each test starts with no deliveries of another's
beforeEach(async () => {
  await db.deleteFrom('webhooks.deliveries').execute();
});
afterAll(async () => {
  await db?.destroy();
  await admin?.query(`drop database if exists ${DATABASE}`);
  await admin?.end();
});

async function endpointFor(ownerId: string, eventTypes: string[] = ['*']) {
  return (await store.create({ ownerId, url: 'https://receiver.example/hook', description: '', eventTypes }, t0, 20)).row.id;
}
const event = (ownerId: string, stream: string, streamVersion: number, type = 'FileRenamed') => ({ id: randomUUID(), type, ownerId, stream, streamVersion, body: `{"v":${streamVersion}}` });
const claimIds = async (now: Date) => (await store.claim(now, LEASE, 50, GAP)).map((d) => Number(d.stream_version));
const delivered = { ok: true, status: 204, error: null, durationMs: 3 };
const failed = { ok: false, status: 500, error: 'answered 500', durationMs: 3 };

describe('the delivery queue', () => {
  it('writes an event once, for each endpoint of its owner whose filter takes it', async () => {
    const owner = `user-${randomUUID()}`;
    const all = await endpointFor(owner);
    const renames = await endpointFor(owner, ['FileRenamed']);
    await endpointFor(`user-${randomUUID()}`);
    const uploaded = event(owner, randomUUID(), 1, 'FileUploaded');
    expect(await store.enqueue(uploaded, t0, GAP)).toEqual({ fresh: true, deliveries: 1 });
    // Dapr delivers it again: nothing more
    expect(await store.enqueue(uploaded, t0, GAP)).toEqual({ fresh: false, deliveries: 0 });
    expect((await store.deliveries(owner, all, { limit: 10 })).map((d) => d.event_id)).toEqual([uploaded.id]);
    expect(await store.deliveries(owner, renames, { limit: 10 })).toEqual([]);
    // another owner does not see them
    expect(await store.deliveries(`user-${randomUUID()}`, all, { limit: 10 })).toEqual([]);
  });

  it("sends a file's events in order even when they arrive out of order", async () => {
    const owner = `user-${randomUUID()}`;
    await endpointFor(owner);
    const stream = `file-${randomUUID()}`;
    await store.enqueue(event(owner, stream, 1, 'FileUploaded'), t0, GAP);
    const [first] = await store.claim(t0, LEASE, 50, GAP);
    expect(Number(first!.stream_version)).toBe(1);
    // 3 arrives before 2: held until 2 is received and delivered
    await store.enqueue(event(owner, stream, 3), at(10), GAP);
    expect(await store.record(first!.id, { at: at(20), ...delivered }, null)).toBe('delivered');
    expect(await claimIds(at(30))).toEqual([]);
    await store.enqueue(event(owner, stream, 2), at(40), GAP);
    const [second] = await store.claim(at(50), LEASE, 50, GAP);
    expect(Number(second!.stream_version)).toBe(2);
    expect(await claimIds(at(60))).toEqual([]);
    await store.record(second!.id, { at: at(70), ...delivered }, null);
    expect(await claimIds(at(80))).toEqual([3]);
  });

  it('a version never received is waited for up to the gap timeout, then passed over', async () => {
    const owner = `user-${randomUUID()}`;
    await endpointFor(owner);
    const stream = `file-${randomUUID()}`;
    await store.enqueue(event(owner, stream, 1), t0, GAP);
    const [one] = await store.claim(t0, LEASE, 50, GAP);
    await store.record(one!.id, { at: t0, ...delivered }, null);
    await store.enqueue(event(owner, stream, 3), at(1_000), GAP);
    expect(await claimIds(at(2_000))).toEqual([]);
    const [three] = await store.claim(at(1_000 + GAP), LEASE, 50, GAP);
    expect(Number(three!.stream_version)).toBe(3);
    await store.record(three!.id, { at: at(1_000 + GAP), ...delivered }, null);
    // the watermark jumps the old gap when the next event of the stream arrives: 4 waits for nothing
    await store.enqueue(event(owner, stream, 4), at(2 * GAP), GAP);
    expect(await claimIds(at(2 * GAP))).toEqual([4]);
  });

  it('a later event waits while an earlier one is retried, and goes once that one is dead', async () => {
    const owner = `user-${randomUUID()}`;
    await endpointFor(owner);
    const stream = `file-${randomUUID()}`;
    await store.enqueue(event(owner, stream, 1), t0, GAP);
    await store.enqueue(event(owner, stream, 2), t0, GAP);
    const [one] = await store.claim(t0, LEASE, 50, GAP);
    expect(Number(one!.stream_version)).toBe(1);
    expect(await store.record(one!.id, { at: at(10), ...failed }, at(1_000))).toBe('pending');
    expect(await claimIds(at(500))).toEqual([]);
    const [again] = await store.claim(at(1_000), LEASE, 50, GAP);
    expect(again!.id).toBe(one!.id);
    expect(again!.attempts).toBe(1);
    expect(await store.record(one!.id, { at: at(1_010), ...failed }, null)).toBe('dead');
    expect(await claimIds(at(1_020))).toEqual([2]);
    const log = await store.delivery(owner, one!.endpoint_id, one!.id);
    expect(log!.row.status).toBe('dead');
    expect(log!.attempts.map((a) => a.status)).toEqual([500, 500]);
  });

  it('a claim whose sender died is due again after its lease, never lost; a live claim is not taken twice', async () => {
    const owner = `user-${randomUUID()}`;
    await endpointFor(owner);
    await store.enqueue(event(owner, `file-${randomUUID()}`, 1), t0, GAP);
    expect(await claimIds(t0)).toEqual([1]);
    expect(await claimIds(at(LEASE - 1))).toEqual([]);
    expect(await claimIds(at(LEASE + 1))).toEqual([1]);
  });

  it('a paused endpoint keeps its deliveries waiting; a redelivery makes a delivered one pending again', async () => {
    const owner = `user-${randomUUID()}`;
    const id = await endpointFor(owner);
    await store.update(owner, id, { enabled: false }, t0);
    await store.enqueue(event(owner, `file-${randomUUID()}`, 1), t0, GAP);
    expect(await claimIds(t0)).toEqual([]);
    await store.update(owner, id, { enabled: true }, t0);
    const [d] = await store.claim(t0, LEASE, 50, GAP);
    await store.record(d!.id, { at: t0, ...delivered }, null);
    expect(await store.redeliver(`user-${randomUUID()}`, id, d!.id, at(1))).toBeUndefined();
    expect((await store.redeliver(owner, id, d!.id, at(1)))!.status).toBe('pending');
    expect(await claimIds(at(2))).toEqual([1]);
  });

  it('an owner may hold a bounded number of endpoints, even when creating them all at once', async () => {
    const owner = `user-${randomUUID()}`;
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.create({ ownerId: owner, url: 'https://receiver.example/', description: '', eventTypes: ['*'] }, t0, 5)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(await store.list(owner)).toHaveLength(5);
  });
});
