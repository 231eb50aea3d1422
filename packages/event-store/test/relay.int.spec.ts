import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { AppIds, Components } from '@strata/contracts';
import { DaprClient } from '@strata/dapr';
import type {} from '@strata/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DaprPublisher, type RecordedEvent, Relay, type RelayState } from '../src/index.js';
import { type TestStore, openTestStore } from './support.js';

const stack = inject('stack');
const here = dirname(fileURLToPath(import.meta.url));
let t: TestStore;

beforeAll(async () => {
  t = await openTestStore(stack.databaseUrl, 'es_relay', 10);
});
afterAll(async () => t?.close());

async function appendMany(prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await t.store.append(`${prefix}-${i % 7}`, [{ type: 'ThingHappened', data: { i } }], { expectedVersion: 'any' });
    ids.push(result.events[0]!.id);
  }
  return ids;
}

/** Keeps what a relay hands out, of the streams whose id starts with `prefix` (each test has its own). */
function recorder(prefix: string) {
  const delivered: RecordedEvent[] = [];
  const publish = async (events: readonly RecordedEvent[]) => void delivered.push(...events.filter((e) => e.streamId.startsWith(prefix)));
  return { delivered, publisher: { publish } };
}

describe('relay crash and take-over', () => {
  it('loses nothing when the relaying process dies between commit and publish; a standby takes over from the checkpoint', async () => {
    const name = `crash-${randomUUID()}`;
    const before = await appendMany(name, 100);

    const dir = mkdtempSync(join(tmpdir(), 'es-relay-'));
    const out = join(dir, 'handed.txt');
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', join(here, 'fixtures', 'crashing-relay.ts')], {
      cwd: join(here, '..'),
      env: { ...process.env, DATABASE_URL: stack.databaseUrl, SCHEMA: t.schema, OUT: out, CRASH_AFTER: '55' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let childOutput = '';
    child.stdout.on('data', (chunk: Buffer) => (childOutput += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // the child is the leader before the standby starts
    await vi.waitFor(() => expect(childOutput).toContain('leader'), { timeout: 20_000, interval: 50 });

    const { delivered, publisher } = recorder(name);
    const states: RelayState[] = [];
    const standby = new Relay({
      store: t.store,
      connection: stack.databaseUrl,
      publisher,
      batchSize: 10,
      leaderRetryMs: 100,
      onStateChange: (s) => states.push(s),
    });
    standby.start();
    try {
      await vi.waitFor(() => expect(standby.state).toBe('standby'), { timeout: 10_000, interval: 20 });
      child.stdin.write('go\n');
      expect(await exited).toBe('SIGKILL');
      const handed = readFileSync(out, 'utf8').trim().split('\n');
      // it died while publishing the sixth batch: five batches are checkpointed, five events of the sixth got out
      expect(handed).toEqual(before.slice(0, 55));

      // written after the crash, while nobody relays
      const after = await appendMany(name, 20);
      await vi.waitFor(() => expect(delivered.length).toBeGreaterThanOrEqual(70), { timeout: 20_000, interval: 50 });
      expect(states).toEqual(['standby', 'leader']);
      // the new leader resumed at the checkpoint: the crashed batch again (duplicates are allowed), nothing earlier
      expect(delivered.map((e) => e.id)).toEqual([...before.slice(50), ...after]);
      expect(new Set([...handed, ...delivered.map((e) => e.id)])).toEqual(new Set([...before, ...after]));
    } finally {
      await standby.stop();
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs one relay of several replicas at a time and hands over when the leader stops', async () => {
    const name = `replicas-${randomUUID()}`;
    const recorders = [recorder(name), recorder(name), recorder(name)];
    const relays = recorders.map(
      (r) => new Relay({ store: t.store, connection: stack.databaseUrl, publisher: r.publisher, name, leaderRetryMs: 100 }),
    );
    for (const relay of relays) relay.start();
    try {
      await vi.waitFor(() => expect(relays.every((r) => r.state !== 'starting')).toBe(true), { timeout: 10_000 });
      const leaders = relays.filter((r) => r.state === 'leader');
      expect(leaders).toHaveLength(1);
      const first = await appendMany(name, 30);
      const leaderIndex = relays.indexOf(leaders[0]!);
      await vi.waitFor(() => expect(recorders[leaderIndex]!.delivered).toHaveLength(30), { timeout: 10_000 });
      expect(recorders.filter((_, i) => i !== leaderIndex).every((r) => r.delivered.length === 0)).toBe(true);

      await leaders[0]!.stop();
      const second = await appendMany(name, 30);
      await vi.waitFor(() => expect(relays.filter((r) => r.state === 'leader')).toHaveLength(1), { timeout: 10_000 });
      await vi.waitFor(
        () => expect(new Set(recorders.flatMap((r) => r.delivered.map((e) => e.id)))).toEqual(new Set([...first, ...second])),
        { timeout: 10_000 },
      );
      // a clean stop saved its checkpoint: the successor starts after it, with no duplicates
      expect(recorders.flatMap((r) => r.delivered)).toHaveLength(60);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });
});

describe('relay through a real Dapr sidecar', () => {
  it('publishes CloudEvents whose id is the event id, read back from the Redis stream', async () => {
    const topic = `test.event-store.${randomUUID()}`;
    const stream = `file-${randomUUID()}`;
    const correlationId = randomUUID();
    const appended = await t.store.append(
      stream,
      [
        { type: 'FileUploaded', data: { name: 'a.txt', size: 3 } },
        { type: 'FileRenamed', schemaVersion: 2, data: { name: 'b.txt' } },
      ],
      { expectedVersion: 'no_stream', metadata: { actor: 'user-1', correlationId } },
    );
    const ids = appended.events.map((e) => e.id);
    const relay = new Relay({
      store: t.store,
      connection: stack.databaseUrl,
      name: `dapr-${randomUUID()}`,
      publisher: new DaprPublisher({
        dapr: new DaprClient({ httpPort: stack.apps[AppIds.files]!.daprHttpPort }),
        pubsub: Components.pubsub,
        source: 'strata/event-store-test',
        // other streams of this test file go elsewhere: the topic is chosen per event
        topic: (event) => (event.streamId === stream ? topic : `${topic}.other`),
        toPublished: (event) => ({ type: event.type, schemaVersion: event.schemaVersion, data: event.data }),
      }),
    });
    const redis = new Redis(stack.redisUrl);
    relay.start();
    try {
      let entries: [string, string[]][] = [];
      await vi.waitFor(
        async () => {
          entries = await redis.xrange(topic, '-', '+');
          expect(entries).toHaveLength(2);
        },
        { timeout: 20_000, interval: 100 },
      );
      const cloudEvents = entries.map(([, fields]) => {
        const data = fields[fields.indexOf('data') + 1]!;
        return JSON.parse(data) as Record<string, unknown>;
      });
      expect(cloudEvents.map((e) => e.id)).toEqual(ids);
      expect(cloudEvents[0]).toMatchObject({
        specversion: '1.0',
        type: 'FileUploaded',
        source: 'strata/event-store-test',
        subject: stream,
        topic,
        pubsubname: Components.pubsub,
        data: { name: 'a.txt', size: 3 },
        streamversion: 1,
        schemaversion: 1,
        actor: 'user-1',
        correlationid: correlationId,
      });
      expect(cloudEvents[1]).toMatchObject({ type: 'FileRenamed', streamversion: 2, schemaversion: 2, data: { name: 'b.txt' } });
    } finally {
      await relay.stop();
      await redis.del(topic, `${topic}.other`);
      redis.disconnect();
    }
  });
});
