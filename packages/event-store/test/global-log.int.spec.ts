import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { LOG_START, type RecordedEvent, Relay, findOrderViolation } from '../src/index.js';
import { type TestStore, openTestStore, sleep } from './support.js';

const stack = inject('stack');

describe('the global log', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(stack.databaseUrl, 'es_log', 20);
  });
  afterAll(async () => t?.close());

  it('holds back events of a later commit until an earlier, slower transaction has committed', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let appendedInSlow!: () => void;
    const slowAppended = new Promise<void>((resolve) => (appendedInSlow = resolve));
    const slow = t.db.transaction().execute(async (trx) => {
      await t.store.append('slow', [{ type: 'SlowWritten', data: {} }], { expectedVersion: 'no_stream', transaction: trx });
      appendedInSlow();
      await released;
    });
    await slowAppended;
    // a faster writer takes a higher position and commits first
    const fast = await t.store.append('fast', [{ type: 'FastWritten', data: {} }], { expectedVersion: 'no_stream' });

    // the trap this avoids: a reader paging by position alone sees the fast event, moves past the
    // slow one's position and, once the slow one commits, never goes back for it
    const naive = await sql<{ global_position: string }>`
      select global_position from ${t.store.table('events')} where global_position > 0 order by global_position`.execute(t.db);
    expect(naive.rows.map((r) => Number(r.global_position))).toEqual([fast.events[0]!.globalPosition]);

    expect((await t.store.readAll(LOG_START)).events).toEqual([]);

    release();
    await slow;
    const { events, cursor } = await t.store.readAll(LOG_START);
    expect(events.map((e) => e.streamId)).toEqual(['slow', 'fast']);
    expect(events[0]!.globalPosition).toBeLessThan(events[1]!.globalPosition);
    expect(cursor).toEqual({ transactionId: events[1]!.transactionId, position: events[1]!.globalPosition });
    expect((await t.store.readAll(cursor)).events).toEqual([]);
  });

  it("keeps a stream's order when a transaction took its id before the stream's previous writer committed", async () => {
    const stream = `shared-${randomUUID()}`;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let gotXid!: () => void;
    const xidTaken = new Promise<void>((resolve) => (gotXid = resolve));
    // the older transaction takes its id first, but appends only after a younger one has
    const older = t.db.transaction().execute(async (trx) => {
      await sql`select pg_current_xact_id()`.execute(trx);
      gotXid();
      await released;
      await t.store.append(stream, [{ type: 'Second', data: {} }], { expectedVersion: 'any', transaction: trx });
    });
    await xidTaken;
    await t.store.append(stream, [{ type: 'First', data: {} }], { expectedVersion: 'any' });
    release();
    await older;

    const all: RecordedEvent[] = [];
    let cursor = LOG_START;
    for (;;) {
      const page = await t.store.readAll(cursor, 100);
      if (page.events.length === 0) break;
      all.push(...page.events);
      cursor = page.cursor;
    }
    const mine = all.filter((e) => e.streamId === stream);
    expect(mine.map((e) => [e.type, e.streamVersion])).toEqual([
      ['First', 1],
      ['Second', 2],
    ]);
    expect(findOrderViolation(mine)).toBeUndefined();
  });
});

describe('relay under 16 concurrent writers', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(stack.databaseUrl, 'es_relay_load', 20);
  });
  afterAll(async () => t?.close());

  it('delivers every one of 16 × 1,000 events, each stream in order, none lost', async () => {
    const delivered: RecordedEvent[] = [];
    const relay = new Relay({
      store: t.store,
      connection: stack.databaseUrl,
      publisher: { publish: async (events) => void delivered.push(...events) },
      batchSize: 300,
    });
    relay.start();

    const streams = Array.from({ length: 40 }, () => `load-${randomUUID()}`);
    const written: string[] = [];
    const writer = async (w: number) => {
      for (let i = 0; i < 1_000; i++) {
        const stream = streams[Math.floor(Math.random() * streams.length)]!;
        await t.db.transaction().execute(async (trx) => {
          // sometimes take the transaction id early, as a transaction with other writes would
          if (i % 3 === 0) await sql`select pg_current_xact_id()`.execute(trx);
          if (Math.random() < 0.3) await sleep(Math.random() * 3);
          const result = await t.store.append(stream, [{ type: 'LoadWritten', data: { w, i } }], {
            expectedVersion: 'any',
            transaction: trx,
          });
          // held open after the append: later positions commit first
          if (Math.random() < 0.3) await sleep(Math.random() * 3);
          written.push(result.events[0]!.id);
        });
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
    expect(written).toHaveLength(16_000);

    await vi.waitFor(() => expect(new Set(delivered.map((e) => e.id)).size).toBeGreaterThanOrEqual(16_000), {
      timeout: 30_000,
      interval: 50,
    });
    await relay.stop();

    // nothing lost, nothing foreign, and (no crash here) nothing twice
    expect(delivered).toHaveLength(16_000);
    expect(new Set(delivered.map((e) => e.id))).toEqual(new Set(written));
    // the log order is total and every stream's versions arrive 1, 2, 3... without a hole
    expect(findOrderViolation(delivered)).toBeUndefined();
    const versions = new Map<string, number>();
    for (const e of delivered) versions.set(e.streamId, e.streamVersion);
    for (const stream of streams) expect(versions.get(stream)).toBe(await t.store.streamVersion(stream));
  });
});
