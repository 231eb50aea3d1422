import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConcurrencyError, DuplicateEventError, EventStore, migrateEventStore } from '../src/index.js';
import { type TestStore, openTestStore } from './support.js';

const stack = inject('stack');
let t: TestStore;

beforeAll(async () => {
  // 50 connections so the 50 appends below really run side by side in Postgres
  t = await openTestStore(stack.databaseUrl, 'es_append', 50);
});
afterAll(async () => t?.close());

const ev = (n: number) => ({ type: 'CounterIncremented', data: { n } });

describe('append with an expected version', () => {
  it('lets exactly one of 50 concurrent appends expecting the same version through', async () => {
    const stream = `counter-${randomUUID()}`;
    await t.store.append(stream, [ev(0), ev(0)], { expectedVersion: 'no_stream' });

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => t.store.append(stream, [ev(i)], { expectedVersion: 2 })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(49);
    for (const err of failed) {
      expect(err).toBeInstanceOf(ConcurrencyError);
      expect(err).toMatchObject({ streamId: stream, expected: 2, actual: 3 });
    }
    const events = await t.store.readStream(stream);
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
  });

  it('lets exactly one of 50 concurrent creations of the same new stream through', async () => {
    const stream = `counter-${randomUUID()}`;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => t.store.append(stream, [ev(i), ev(i)], { expectedVersion: 'no_stream' })),
    );
    const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(winners).toHaveLength(1);
    expect(failed).toHaveLength(49);
    for (const err of failed) expect(err).toMatchObject({ name: 'ConcurrencyError', expected: 'no_stream', actual: 2 });
    const stored = await t.store.readStream<{ type: string; data: { n: number } }>(stream);
    // both events come from the one winner: no interleaving of two creators
    expect(stored.map((e) => e.id)).toEqual(winners[0]!.events.map((e) => e.id));
    expect(new Set(stored.map((e) => e.data.n)).size).toBe(1);
  });

  it('lets exactly one of 50 concurrent batches expecting the same version through, whole', async () => {
    const stream = `counter-${randomUUID()}`;
    await t.store.append(stream, [ev(0)], { expectedVersion: 'no_stream' });
    // batches of different lengths, so a loser's later events would find free numbers
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => t.store.append(stream, Array.from({ length: 1 + (i % 3) }, () => ev(i)), { expectedVersion: 1 })),
    );
    const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
    const stored = await t.store.readStream(stream);
    expect(stored.map((e) => e.streamVersion)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    expect(stored.slice(1).map((e) => e.id)).toEqual(winners[0]!.events.map((e) => e.id));
  });

  it('fails a stale expected version inside the caller transaction and stores nothing of it', async () => {
    const stream = `counter-${randomUUID()}`;
    await t.store.append(stream, [ev(0)], { expectedVersion: 'no_stream' });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        t.db.transaction().execute(async (trx) => {
          await t.store.append(stream, [ev(i), ev(i)], { expectedVersion: 1, transaction: trx });
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
    expect((await t.store.readStream(stream)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
  });

  it("appends to the stream's end with 'any' and fails a stale number", async () => {
    const stream = `counter-${randomUUID()}`;
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.store.append(stream, [ev(i)], { expectedVersion: 'any' })));
    expect(await t.store.streamVersion(stream)).toBe(20);
    expect((await t.store.readStream(stream)).map((e) => e.streamVersion)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await expect(t.store.append(stream, [ev(1)], { expectedVersion: 19 })).rejects.toMatchObject({ actual: 20 });
    await expect(t.store.append(`absent-${randomUUID()}`, [ev(1)], { expectedVersion: 3 })).rejects.toMatchObject({
      name: 'ConcurrencyError',
      actual: 0,
    });
  });

  it('keeps data, metadata, type, schema version and occurred-at as given', async () => {
    const stream = `file-${randomUUID()}`;
    const occurredAt = new Date('2026-01-02T03:04:05.678Z');
    const correlationId = randomUUID();
    await t.store.append(
      stream,
      [{ type: 'FileRenamed', schemaVersion: 2, data: { name: 'b.txt', nested: { a: [1, 'x'] } }, occurredAt, metadata: { causationId: 'c-1' } }],
      { expectedVersion: 'no_stream', metadata: { actor: 'user-1', correlationId } },
    );
    const [event] = await t.store.readStream(stream);
    expect(event).toMatchObject({
      type: 'FileRenamed',
      schemaVersion: 2,
      streamId: stream,
      streamVersion: 1,
      data: { name: 'b.txt', nested: { a: [1, 'x'] } },
      metadata: { actor: 'user-1', correlationId, causationId: 'c-1' },
    });
    expect(event!.occurredAt.toISOString()).toBe(occurredAt.toISOString());
    expect(event!.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('idempotent append', () => {
  it('stores the same event ids once and returns the original result to a retry', async () => {
    const stream = `counter-${randomUUID()}`;
    const batch = [{ ...ev(1), id: randomUUID() }, { ...ev(2), id: randomUUID() }];
    const first = await t.store.append(stream, batch, { expectedVersion: 'no_stream' });
    // a retry after a lost reply, with each kind of expectation
    const retries = await Promise.all([
      t.store.append(stream, batch, { expectedVersion: 'no_stream' }),
      t.store.append(stream, batch, { expectedVersion: 'any' }),
      t.store.append(stream, batch, { expectedVersion: 0 }),
    ]);
    for (const retry of retries) {
      expect(retry.duplicate).toBe(true);
      expect(retry.events).toEqual(first.events);
      expect(retry.nextExpectedVersion).toBe(2);
    }
    expect(await t.store.readStream(stream)).toHaveLength(2);
  });

  it('stores once when the same append races itself', async () => {
    const stream = `counter-${randomUUID()}`;
    const batch = [{ ...ev(1), id: randomUUID() }];
    const results = await Promise.all(Array.from({ length: 10 }, () => t.store.append(stream, batch, { expectedVersion: 'any' })));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.events[0]!.globalPosition)).size).toBe(1);
    expect(await t.store.readStream(stream)).toHaveLength(1);
  });

  it('refuses an id reused for another stream', async () => {
    const id = randomUUID();
    await t.store.append(`a-${randomUUID()}`, [{ ...ev(1), id }], { expectedVersion: 'any' });
    await expect(t.store.append(`b-${randomUUID()}`, [{ ...ev(1), id }], { expectedVersion: 'any' })).rejects.toBeInstanceOf(
      DuplicateEventError,
    );
  });
});

describe('appending inside the caller transaction', () => {
  it('commits and rolls back with the caller', async () => {
    const kept = `tx-${randomUUID()}`;
    const dropped = `tx-${randomUUID()}`;
    await t.db.transaction().execute(async (trx) => {
      await t.store.append(kept, [ev(1)], { expectedVersion: 'no_stream', transaction: trx });
    });
    await expect(
      t.db.transaction().execute(async (trx) => {
        await t.store.append(dropped, [ev(1)], { expectedVersion: 'no_stream', transaction: trx });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await t.store.streamVersion(kept)).toBe(1);
    expect(await t.store.streamVersion(dropped)).toBe(0);
  });
});

describe('migrations', () => {
  it('run once even when many replicas start together, in the schema asked for', async () => {
    const schema = `es_migrate_${randomUUID().slice(0, 8)}`;
    try {
      await Promise.all(Array.from({ length: 5 }, () => migrateEventStore(t.db, schema)));
      const { rows } = await sql<{ name: string }>`select name from ${sql.id(schema, 'event_store_migration')}`.execute(t.db);
      expect(rows.map((r) => r.name)).toEqual(['20261125T090000_create_event_store', '20261126T090000_drop_streams_table']);
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = ${schema} order by 1`.execute(t.db);
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        ['checkpoints', 'event_store_migration', 'event_store_migration_lock', 'events'],
      );
      const store = new EventStore({ db: t.db, schema });
      await store.append('s', [ev(1)], { expectedVersion: 'no_stream' });
      expect(await store.streamVersion('s')).toBe(1);
    } finally {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(t.db);
    }
  });
});
