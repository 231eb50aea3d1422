/**
 * The journey on the production-like profile, in every `npm test`: a second stack of its own
 * (every app with deploy/'s Dapr Configurations: deny-by-default access control over mTLS from
 * Sentry, secret scopes, app tokens, resiliency; the Redis Cluster over TLS; PgBouncer in
 * transaction mode with sslmode=require; Azurite over HTTPS with OAuth, files on a token), beside
 * the local stack the other integration tests share. Sign-up, sign-in, a multipart and a tus
 * upload, downloads, live events, a rate limit decided by the ratelimit service on the cluster,
 * and a revoked session refused at once.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { AZURITE_BLOB_PORT, Topics } from '@strata/contracts';
import { Client, eventually, openEventStream, sha256 } from '@strata/testing/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/paths.js';
import { type Stack, startStack } from '../src/stack.js';
import { TEST_PORT_OFFSET } from '../src/test-stack.js';

/**
 * Beside the local test stack: every port of this one is shifted this much further. 250 (or 750)
 * meets no port of any stack whose offset is a multiple of 1,000 (other test runs on the machine,
 * a dev stack), nor its prod-like ports: 500 would put this ui's port on the internal port of the
 * ui of a stack 1,500 below (internal = app + 1,500).
 */
const PROD_LIKE_JOURNEY_PORT_STEP = 250;

/** A request to the stack's TLS stand-ins (Azurite over HTTPS), trusting the stack's own CA. */
function overTls(url: URL, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca: readFileSync(stack.caFile!) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
const offset = TEST_PORT_OFFSET + PROD_LIKE_JOURNEY_PORT_STEP;
let stack: Stack;
let runDir: string;
let gateway: string;
let failed = false;
const rateLimitsBefore = process.env.RATE_LIMIT_ENABLED;

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, '.strata'), { recursive: true });
  runDir = mkdtempSync(join(REPO_ROOT, '.strata', 'test-prod-like-'));
  // the shared local stack runs without limits (every test client is 127.0.0.1); this one has them, as deployed
  process.env.RATE_LIMIT_ENABLED = 'true';
  const started = Date.now();
  failed = true;
  stack = await startStack({
    profile: 'prod-like',
    name: 'test-prod-like',
    runDir,
    portOffset: offset,
    database: `${process.env.STRATA_TEST_DATABASE ?? 'strata_test'}_prod_like`,
    redisDb: 0,
    azuriteBlobPort: AZURITE_BLOB_PORT + offset,
    logToFiles: true,
    fresh: true,
    // two of each app that relays its events: one relay each, its lock past PgBouncer
    replicas: REPLICAS,
  });
  process.stdout.write(`prod-like journey stack up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  gateway = stack.gatewayUrl;
  failed = false;
}, 240_000);

afterAll(async () => {
  if (rateLimitsBefore === undefined) delete process.env.RATE_LIMIT_ENABLED;
  else process.env.RATE_LIMIT_ENABLED = rateLimitsBefore;
  await stack?.stop();
  // the logs of a stack that did not start, or of a failed test, stay for reading
  if (failed) process.stdout.write(`prod-like journey: logs kept in ${runDir}/logs\n`);
  else if (runDir && !process.env.STRATA_KEEP_TEST_LOGS) rmSync(runDir, { recursive: true, force: true });
}, 60_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    failed = true;
  });
});

const TUS = { 'tus-resumable': '1.0.0' };
const REPLICAS = { files: 2, sessions: 2 };

/** A replica's `event_relay_leader` for a topic: 1 while it holds the relay's lock. */
async function relayLeader(appKey: string, topic: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.apps.get(appKey)!.internalPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('event_relay_leader{') && l.includes(`topic="${topic}"`));
  if (!line) throw new Error(`${appKey} has no event_relay_leader for ${topic}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * One user for the whole journey: every client here comes from 127.0.0.1, and the limits are on
 * as deployed (registration: 5 a minute per address, sign-in: 5 a minute per account).
 */
let user: { client: Client; email: string; password: string } | undefined;
async function signedUp(): Promise<{ client: Client; email: string; password: string }> {
  if (user) return user;
  const client = new Client(gateway);
  const { email, password } = await client.register();
  const login = await client.login(email, password);
  expect(login.status).toBe(200);
  user = { client, email, password };
  return user;
}

/** The gateway's count of rate-limit decisions by source (service, lease, fallback). */
async function decisionsBy(source: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.apps.get('gateway')!.internalPort}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^gateway_ratelimit_decisions_total\\{[^}]*source="${source}"[^}]*\\} (\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
}

describe('the journey on the production-like profile', () => {
  it('runs every app: nothing failed to start', () => {
    expect([...stack.failed.keys()]).toEqual([]);
    expect(stack.profile).toBe('prod-like');
    expect(stack.blobConnectionString).toBe('');
  });

  it('relays each service\'s events from exactly one of its two replicas: the lock is taken past PgBouncer, where each session is its own', async () => {
    for (const [app, topic] of [['files', Topics.fileEvents], ['sessions', Topics.sessionEvents]] as const) {
      const keys = Array.from({ length: REPLICAS[app] }, (_, r) => (r === 0 ? app : `${app}#${r}`));
      // a replica that started second is standby from its first try; both report within seconds
      let leaders: number[] = [];
      const oneLeader = async () => {
        leaders = (await Promise.all(keys.map((k) => relayLeader(k, topic)))).sort();
        return leaders.join() === '0,1' ? leaders : undefined;
      };
      // a scrape that fails (no such metric) fails the test with its own message
      await eventually(`one ${app} relay`, oneLeader, 20_000).catch((err: unknown) => {
        if (!(err instanceof Error && err.message.startsWith('timed out'))) throw err;
      });
      expect(leaders, `event_relay_leader of ${keys.join(', ')}`).toEqual([0, 1]);
    }
  });

  it('signs up and signs in (sessions: Postgres through PgBouncer, its throttle on the cluster, its keys from the secret store)', async () => {
    const { client, email, password } = await signedUp();
    const me = await client.call('GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.json.email).toBe(email);
    const wrong = await new Client(gateway).login(email, `${password}!`);
    expect(wrong.status).toBe(401);
  });

  it('uploads multipart and downloads it (files: Blob with its workload identity, no key)', async () => {
    const { client } = await signedUp();
    const bytes = randomBytes(300_000);
    const up = await client.upload('report.bin', bytes);
    expect(up.status, up.text).toBe(201);
    // the bytes through files (its Blob client with the token); this worker does not trust the
    // stack's own CA, so the SAS URL below is read with it explicitly
    const down = await client.call('GET', `/api/v1/files/${up.json.id as string}/content?redirect=false`);
    expect(down.status).toBe(200);
    expect(sha256(down.bytes)).toBe(sha256(bytes));
    // by valet key: a user-delegation SAS (skoid, sktid: files' identity, no account key) that
    // Azurite over HTTPS honours for reading that blob only
    const redirect = await fetch(`${gateway}/api/v1/files/${up.json.id as string}/content`, { redirect: 'manual', headers: { authorization: `Bearer ${client.accessToken!}` } });
    expect(redirect.status).toBe(307);
    const location = new URL(redirect.headers.get('location')!);
    expect(location.protocol).toBe('https:');
    expect([location.searchParams.get('sp'), location.searchParams.get('sr'), location.searchParams.get('spr')]).toEqual(['r', 'b', 'https']);
    expect(location.searchParams.get('skoid')).toBeTruthy();
    expect(location.searchParams.get('sktid')).toBeTruthy();
    const whole = await overTls(location);
    expect([whole.status, sha256(whole.body)]).toEqual([200, sha256(bytes)]);
    const ranged = await overTls(location, { headers: { range: 'bytes=10-19' } });
    expect([ranged.status, ranged.body]).toEqual([206, bytes.subarray(10, 20)]);
    expect((await overTls(location, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'content-length': '1' }, body: 'x' })).status).toBe(403);
    const tampered = new URL(location);
    tampered.searchParams.set('skoid', '00000000-0000-0000-0000-000000000000');
    expect((await overTls(tampered)).status).toBe(403);
  });

  it('uploads with tus in two PATCHes and downloads it', async () => {
    const { client } = await signedUp();
    const bytes = randomBytes(200_000);
    const auth = { authorization: `Bearer ${client.accessToken!}`, ...TUS };
    const created = await fetch(`${gateway}/api/v1/uploads`, {
      method: 'POST',
      headers: { ...auth, 'upload-length': String(bytes.length), 'upload-metadata': `filename ${Buffer.from('notes.bin').toString('base64')}` },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const location = created.headers.get('location')!;
    const fileId = created.headers.get('x-file-id')!;
    const patch = (from: number, to: number) =>
      fetch(`${gateway}${location}`, {
        method: 'PATCH',
        headers: { ...auth, 'upload-offset': String(from), 'content-type': 'application/offset+octet-stream' },
        body: bytes.subarray(from, to),
      });
    expect((await patch(0, 120_000)).status).toBe(204);
    const head = await fetch(`${gateway}${location}`, { method: 'HEAD', headers: auth });
    expect(head.headers.get('upload-offset')).toBe('120000');
    expect((await patch(120_000, bytes.length)).status).toBe(204);
    const down = await eventually('the completed upload readable', async () => {
      const res = await client.call('GET', `/api/v1/files/${fileId}/content?redirect=false`);
      return res.status === 200 ? res : undefined;
    });
    expect(sha256(down.bytes)).toBe(sha256(bytes));
  });

  it('streams the user’s live events (pub/sub on the cluster) and replays them after Last-Event-ID', async () => {
    const { client, email, password } = await signedUp();
    const open = async (lastEventId: string) => {
      const stream = await openEventStream(gateway, client.accessToken!, lastEventId);
      expect(stream.res.status).toBe(200);
      return {
        ids: () => stream.events.filter((e) => e.event === 'SessionStarted').map((e) => e.id!),
        close: stream.close,
      };
    };
    const live = await open('0-0');
    expect((await new Client(gateway).login(email, password)).status).toBe(200);
    // the first sign-in's and this one's (replayed from the start of the user's stream, then live)
    const [first] = await eventually('SessionStarted on the stream', async () => (live.ids().length >= 2 ? live.ids() : undefined));
    await live.close();
    const resumed = await open(first!);
    await eventually('the replay after Last-Event-ID', async () => (resumed.ids().length >= 1 ? true : undefined));
    expect(resumed.ids()).not.toContain(first);
    await resumed.close();
  });

  it('reads an uploaded document and finds it by what it says (insights: files.events, the bytes from files through deploy/\'s access control)', async () => {
    const { client } = await signedUp();
    const up = await client.upload('memo.txt', Buffer.from('A memo about the vermilion observatory, read on the production-like profile.'));
    expect(up.status, up.text).toBe(201);
    const hit = await eventually(
      'the memo found by search',
      async () => {
        const res = await client.call('GET', '/api/v1/search?q=vermilion%20observatory');
        return res.status === 200 && (res.json.items as { fileId: string }[]).some((i) => i.fileId === up.json.id) ? res : undefined;
      },
      60_000,
    );
    expect((hit.json.items as { snippet: string }[])[0]!.snippet).toContain('<mark>');
  });

  it('refuses a revoked session at once (revocations over the cluster), and keeps the others', async () => {
    const { client, email, password } = await signedUp();
    const other = new Client(gateway);
    expect((await other.login(email, password)).status).toBe(200);
    // the session of the other device's token (the user has signed in more than twice by now)
    const { sid } = JSON.parse(Buffer.from(other.accessToken!.split('.')[1]!, 'base64url').toString()) as { sid: string };
    const sessions = await client.call('GET', '/api/v1/sessions');
    expect((sessions.json.items as { id: string }[]).map((s) => s.id)).toContain(sid);
    expect((await client.call('DELETE', `/api/v1/sessions/${sid}`)).status).toBe(204);
    await eventually('the revoked session refused', async () => ((await other.call('GET', '/api/v1/me')).status === 401 ? true : undefined), 2_000);
    expect((await other.call('GET', '/api/v1/files')).status).toBe(401);
    expect((await client.call('GET', '/api/v1/files')).status).toBe(200);
  });

  it('limits a user to 100 a minute, decided by the ratelimit service on the cluster (never the fallback)', async () => {
    const { client } = await signedUp();
    const fallbackBefore = await decisionsBy('fallback');
    const statuses: number[] = [];
    for (let i = 0; i < 110; i++) statuses.push((await client.call('GET', '/api/v1/me')).status);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(100);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(await decisionsBy('fallback')).toBe(fallbackBefore);
    expect(await decisionsBy('service')).toBeGreaterThan(0);
  });
});
