import type {} from '@strata/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client, sha256 } from './support.js';

// What an Azure Flexible Server HA failover does to every client: pg_terminate_backend on each of
// their sessions. The stack's own files, sessions and insights processes lose every connection
// (pools, the relays' lock connections, the jobs' lock connection, the indexer's) under a stream
// of uploads through the gateway that retry with their Idempotency-Key: the processes stay up, no
// answer is a 500 (only 2xx and 503), every acknowledged upload is there afterwards, whole and
// once, and readiness comes back to 200.

const stack = inject('stack');
const APPS = ['files', 'sessions', 'insights'] as const;
const admin = new pg.Pool({ connectionString: stack.databaseUrl, max: 1, application_name: 'failover-test' });
afterAll(() => admin.end());

/** Every session of the apps on the test database (their pools, direct pools and relays), ended. */
async function terminateAppBackends(): Promise<Record<string, number>> {
  const { rows } = await admin.query<{ application_name: string; n: string }>(
    `select application_name, count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and (application_name = any($1::text[]) or application_name like 'strata-relay-%')
      group by application_name`,
    [APPS.flatMap((app) => [app, `${app}-direct`])],
  );
  return Object.fromEntries(rows.map((r) => [r.application_name, Number(r.n)]));
}

/** The start time of an app's process (prom-client's default metric): the same before and after = it never exited. */
async function processStart(app: string): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${stack.apps[app]!.internalPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_start_time_seconds'));
  if (!line) throw new Error(`${app} exposes no process_start_time_seconds`);
  return line;
}

const ready = async (app: string) => (await fetch(`http://127.0.0.1:${stack.apps[app]!.internalPort}/health/ready`)).status;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tally {
  statuses: Map<number, number>;
  count(status: number): void;
}
const tally = (): Tally => {
  const statuses = new Map<number, number>();
  return { statuses, count: (status) => statuses.set(status, (statuses.get(status) ?? 0) + 1) };
};

describe('a Postgres failover (every app session terminated) under load', () => {
  it('keeps files, sessions and insights up, answers only 2xx or 503, and loses no acknowledged upload', async () => {
    const user = await Client.user(stack);
    const started = Object.fromEntries(await Promise.all(APPS.map(async (app) => [app, await processStart(app)] as const)));

    const uploads = tally();
    const reads = tally();
    const acknowledged = new Map<string, { id: string; sha: string; name: string }>();
    let running = true;

    /** One upload, retried with its Idempotency-Key until it is acknowledged (as a well-behaved client does). */
    const uploadUntilAcknowledged = async (n: number) => {
      const key = randomUUID();
      const bytes = randomBytes(16 * 1024 + n);
      const name = `failover-${n}.bin`;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const answer = await user.upload(name, bytes, { headers: { 'idempotency-key': key } });
        uploads.count(answer.status);
        if (answer.status === 201) {
          acknowledged.set(key, { id: String(answer.json.id), sha: sha256(bytes), name });
          return;
        }
        if (answer.status === 503) {
          expect(answer.headers.get('content-type')).toContain('application/problem+json');
          expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        // a client waits before its retry (shorter than Retry-After, to press on the recovery)
        await sleep(200);
      }
      throw new Error(`upload ${n} was never acknowledged`);
    };

    const writers = Array.from({ length: 3 }, async (_, w) => {
      for (let i = 0; running; i++) await uploadUntilAcknowledged(w * 1000 + i);
    });
    // reads of the three services beside the uploads: a file list (files), the caller (sessions), search (insights)
    const readers = ['/api/v1/files?limit=5', '/api/v1/me', '/api/v1/sessions', '/api/v1/search?q=failover'].map(async (path) => {
      while (running) {
        const answer = await user.call('GET', path);
        reads.count(answer.status);
        if (answer.status !== 200) expect(answer.status, `${path}: ${answer.text}`).toBe(503);
        await sleep(50);
      }
    });

    let first: Record<string, number>;
    let second: Record<string, number>;
    try {
      await sleep(1_000);
      first = await terminateAppBackends();
      await sleep(1_500);
      second = await terminateAppBackends();
      await sleep(1_500);
    } finally {
      running = false;
      await Promise.allSettled([...writers, ...readers]);
    }
    await Promise.all([...writers, ...readers]);

    // the failover did hit every app (the stack's processes hold sessions of their own)
    for (const app of APPS) expect((first[app] ?? 0) + (first[`${app}-direct`] ?? 0) + (second[app] ?? 0), `${app}'s sessions terminated`).toBeGreaterThan(0);
    // no 500, no 502: only acknowledged uploads and 503s to retry
    expect([...uploads.statuses.keys()].filter((s) => s !== 201 && s !== 503), `upload answers ${JSON.stringify([...uploads.statuses])}`).toEqual([]);
    expect([...reads.statuses.keys()].filter((s) => s !== 200 && s !== 503), `read answers ${JSON.stringify([...reads.statuses])}`).toEqual([]);
    // uploads went on through both terminations (a few a second on a loaded 2-core machine)
    expect(acknowledged.size).toBeGreaterThanOrEqual(3);
    console.info(`failover: ${acknowledged.size} uploads acknowledged; upload answers ${JSON.stringify([...uploads.statuses])}, read answers ${JSON.stringify([...reads.statuses])}; terminated ${JSON.stringify(first)} then ${JSON.stringify(second)}`);

    // the processes never exited, and readiness is back
    for (const app of APPS) expect(await processStart(app), `${app} restarted`).toBe(started[app]);
    for (const app of APPS) {
      const deadline = Date.now() + 15_000;
      while ((await ready(app)) !== 200 && Date.now() < deadline) await sleep(200);
      expect(await ready(app), `${app} ready again`).toBe(200);
    }

    // every acknowledged upload is there, whole and once
    const listed: { id: string; name: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await user.call('GET', `/api/v1/files?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      listed.push(...(page.json.items as { id: string; name: string }[]));
      cursor = (page.json.nextCursor as string | null) ?? undefined;
    } while (cursor);
    expect(listed.length, 'one file per acknowledged upload').toBe(acknowledged.size);
    expect(new Set(listed.map((f) => f.id))).toEqual(new Set([...acknowledged.values()].map((a) => a.id)));
    for (const upload of acknowledged.values()) {
      const content = await user.call('GET', `/api/v1/files/${upload.id}/content`);
      expect(content.status, upload.name).toBe(200);
      expect(sha256(content.bytes), upload.name).toBe(upload.sha);
    }
  });
});
