/**
 * Upload and download throughput of one large file through the gateway (gateway → its sidecar →
 * files' sidecar → files → Azurite), beside a direct @azure/storage-blob upload and download of
 * the same size to the same Azurite in the same run, with the peak RSS of the gateway and files
 * processes; downloads both ways: proxied (?redirect=false: the bytes through every hop) and by
 * redirect (a 307 to a SAS URL, followed: Azurite sends the bytes), with the CPU time the gateway
 * and files spend per GiB; then the latency of listing with 10,000 files for one user.
 *
 *   npm run bench -w @strata/files                 # 1 GiB
 *   npm run bench -w @strata/files -- --mib 256    # smaller, for a quick look
 *   npm run bench -w @strata/files -- --list-files 10000
 *   npm run bench -w @strata/files -- --as-of-only --as-of-events 100000   # time travel alone
 *   npm run bench -w @strata/files -- --only children,move --folder-files 10000   # cases alone
 *
 * Cases (`--only`, comma-separated; all by default): transfer (upload and download), list (the
 * flat list), children (a folder of --folder-files files, every sort, every page), move (that
 * folder moved, one PATCH), as-of (time travel on a drive of --as-of-events events).
 *
 * It starts its own stack (ports shifted by BENCH_PORT_OFFSET, default 14000; database
 * BENCH_DATABASE, default strata_bench_files; Redis DB BENCH_REDIS_DB, default 6, never flushed) and stops
 * it at the end.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { AppIds, BLOB_CONTAINER, AZURITE_BLOB_PORT } from '@strata/contracts';
import { EventStore, commandHandler, kyselyFromPool } from '@strata/event-store';
import { createCipheriv, createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { type Stack, startStack } from '@strata/dev';
import type { Database } from '../src/db/schema.js';
import { projections } from '../src/projections/index.js';
import { fileDecider, fileStream } from '../src/streams.js';
import { asOfBench } from './as-of.js';
import { foldersBench } from './folders.js';

const MiB = 1024 * 1024;
const CASES = ['transfer', 'list', 'children', 'move', 'as-of'] as const;
const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: process.env.BENCH_MIB ?? '1024' },
    'list-files': { type: 'string', default: '10000' },
    'as-of-events': { type: 'string', default: '100000' },
    'folder-files': { type: 'string', default: '10000' },
    // how long to wait for the relay to publish what a seed wrote before measuring
    'settle-seconds': { type: 'string', default: '300' },
    // only the time travel case (no transfers, no flat list): --only as-of
    'as-of-only': { type: 'boolean', default: false },
    only: { type: 'string', default: CASES.join(',') },
  },
});
const only = new Set(values['as-of-only'] ? ['as-of'] : values.only.split(',').map((c) => c.trim()));
for (const c of only) if (!(CASES as readonly string[]).includes(c)) throw new Error(`--only: no case ${c} (cases: ${CASES.join(', ')})`);
const runs = (c: (typeof CASES)[number]) => only.has(c);
const SIZE = Number(values.mib) * MiB;
const LIST_FILES = Number(values['list-files']);
const OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? 14_000);
const REPO_ROOT = new URL('../../..', import.meta.url).pathname;

/** The same pseudo-random bytes every time (AES-CTR key stream), generated as they are sent. */
async function* bytes(total: number, chunk = MiB): AsyncGenerator<Buffer> {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 3), Buffer.alloc(16));
  const zeros = Buffer.alloc(chunk);
  for (let sent = 0; sent < total; sent += chunk) yield cipher.update(zeros.subarray(0, Math.min(chunk, total - sent)));
}

/** Samples a process's resident memory (VmRSS) every 50 ms; peak and start in MiB. */
function rssSampler(pid: number) {
  const read = () => {
    try {
      return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return 0; // the process is gone (the run failed): the failure is reported elsewhere
    }
  };
  const start = read();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, read());
  }, 50);
  return { stop: () => (clearInterval(timer), { start, peak: Math.max(peak, read()) }) };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

function multipartStream(name: string, total: number) {
  const boundary = `----strata-bench-${randomUUID()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body() {
    yield head;
    yield* bytes(total);
    yield tail;
  }
  return { body: ReadableStream.from(body()), contentType: `multipart/form-data; boundary=${boundary}`, length: head.length + total + tail.length };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** A new user; `login` gives a fresh access token (a seed of many minutes outlives the first one). */
async function signUp(gw: string): Promise<{ userId: string; token: string; login: () => Promise<string> }> {
  const email = `bench-${randomUUID()}@example.test`;
  const password = 'correct horse battery staple';
  const reg = await fetch(`${gw}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const userId = ((await reg.json()) as { id: string }).id;
  const login = async () => {
    const res = await fetch(`${gw}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { accessToken: string }).accessToken;
  };
  return { userId, token: await login(), login };
}

async function main() {
  mkdirSync(join(REPO_ROOT, '.strata'), { recursive: true });
  const runDir = mkdtempSync(join(REPO_ROOT, '.strata', 'bench-files-'));
  // the gateway counts requests per user; the list bench sends many more than the default allows
  console.log(`starting a stack in ${runDir} (port offset ${OFFSET})`);
  // the apps read their settings from this process's environment: room for the bench's files
  process.env.QUOTA_BYTES = String(4 * SIZE + 1024 * MiB);
  const stack: Stack = await startStack({
    name: 'bench-files',
    runDir,
    portOffset: OFFSET,
    database: process.env.BENCH_DATABASE ?? 'strata_bench_files',
    redisDb: Number(process.env.BENCH_REDIS_DB ?? 6),
    azuriteBlobPort: AZURITE_BLOB_PORT + OFFSET,
    logToFiles: true,
    only: [AppIds.gateway, AppIds.files, AppIds.sessions, AppIds.ratelimit],
  });
  try {
    const gw = stack.gatewayUrl;
    const { userId, token } = await signUp(gw);
    const auth = { authorization: `Bearer ${token}` };
    const filesBase = `http://127.0.0.1:${stack.apps.get(AppIds.files)!.daprHttpPort}/v1.0/invoke/files/method`;
    // a drive of its own (a second user in a whole run: the seeded list below stays as it is)
    const timeTravel = async () => {
      const other = await signUp(gw);
      return asOfBench({ databaseUrl: stack.databaseUrl, base: filesBase, login: async () => ({ authorization: `Bearer ${await other.login()}` }), userId: other.userId, events: Number(values['as-of-events']), requests: 600, settleSeconds: Number(values['settle-seconds']) });
    };
    // a drive of its own per case (a user each): the cases do not see each other's data
    if (runs('children') || runs('move')) {
      const owner = await signUp(gw);
      const headers = { authorization: `Bearer ${owner.token}` };
      await foldersBench({
        databaseUrl: stack.databaseUrl,
        sidecar: { base: filesBase, headers },
        gateway: { base: gw, headers },
        userId: owner.userId,
        files: Number(values['folder-files']),
        // after the seed: the same headers, a fresh token
        relogin: async () => void (headers.authorization = `Bearer ${await owner.login()}`),
        settleSeconds: Number(values['settle-seconds']),
        cases: { children: runs('children'), move: runs('move') },
      });
    }

    if (runs('transfer')) {
      let expected = createHash('sha256');
      for await (const c of bytes(SIZE)) expected.update(c);
      const expectedHash = expected.digest('hex');
      expected = createHash('sha256');

      // direct: the SDK straight to Azurite, same size, same machine
      const container = BlobServiceClient.fromConnectionString(stack.blobConnectionString).getContainerClient(BLOB_CONTAINER);
      await container.createIfNotExists();
      const direct = container.getBlockBlobClient(`bench/${randomUUID()}`);
      const { Readable } = await import('node:stream');
      const directUp = await timed(() => direct.uploadStream(Readable.from(bytes(SIZE)), 8 * MiB, 4));
      const directDown = await timed(async () => {
        const h = createHash('sha256');
        const res = await direct.download();
        for await (const c of res.readableStreamBody as AsyncIterable<Buffer>) h.update(c);
        return h.digest('hex');
      });
      if (directDown.value !== expectedHash) throw new Error('direct download: bytes differ');
      await direct.delete();

      const gatewayPid = stack.apps.get(AppIds.gateway)!.app.child.pid!;
      const filesPid = stack.apps.get(AppIds.files)!.app.child.pid!;

      // through the gateway, multipart, streamed: one request body may hold at most 1024 MiB (the
      // sidecars' daprHTTPMaxRequestSize), so a multipart upload carries at most MAX_UPLOAD_BYTES
      // (1000 MiB); larger files take the resumable path below
      const MULTIPART = Math.min(SIZE, 1000 * MiB);
      const mpHash = createHash('sha256');
      for await (const c of bytes(MULTIPART)) mpHash.update(c);
      const mpExpected = mpHash.digest('hex');
      const gMp = rssSampler(gatewayPid);
      const fMp = rssSampler(filesPid);
      const mp = multipartStream('bench.bin', MULTIPART);
      const viaMultipart = await timed(async () => {
        const res = await fetch(`${gw}/api/v1/files`, { method: 'POST', headers: { ...auth, 'content-type': mp.contentType, 'content-length': String(mp.length) }, body: mp.body, duplex: 'half' } as RequestInit);
        const text = await res.text();
        if (res.status !== 201) throw new Error(`upload through the gateway: ${res.status} ${text}`);
        return JSON.parse(text) as { id: string; sha256: string };
      });
      const mpRss = { gateway: gMp.stop(), files: fMp.stop() };
      if (viaMultipart.value.sha256 !== mpExpected) throw new Error('multipart upload: sha256 differs');

      // through the gateway, resumable (tus), the whole SIZE in PATCHes of 256 MiB; the time includes
      // the completion, which reads the blob back once to hash it
      const CHUNK = 256 * MiB;
      const gUp = rssSampler(gatewayPid);
      const fUp = rssSampler(filesPid);
      const viaUp = await timed(async () => {
        const tusHeaders = { ...auth, 'tus-resumable': '1.0.0' };
        const created = await fetch(`${gw}/api/v1/uploads`, { method: 'POST', headers: { ...tusHeaders, 'upload-length': String(SIZE), 'upload-metadata': `filename ${Buffer.from('bench-tus.bin').toString('base64')}` } });
        if (created.status !== 201) throw new Error(`tus create: ${created.status} ${await created.text()}`);
        const location = created.headers.get('location')!;
        let fileId = '';
        const stream = bytes(SIZE);
        for (let offset = 0; offset < SIZE; offset += CHUNK) {
          const length = Math.min(CHUNK, SIZE - offset);
          async function* part() {
            let n = 0;
            while (n < length) {
              const { value, done } = await stream.next();
              if (done) return;
              n += value.length;
              yield value;
            }
          }
          const res = await fetch(`${gw}${location}`, {
            method: 'PATCH',
            headers: { ...tusHeaders, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(length) },
            body: ReadableStream.from(part()),
            duplex: 'half',
          } as RequestInit);
          if (res.status !== 204) throw new Error(`tus PATCH at ${offset}: ${res.status} ${await res.text()}`);
          fileId = res.headers.get('x-file-id') ?? fileId;
        }
        const file = await fetch(`${gw}/api/v1/files/${fileId}`, { headers: auth });
        return (await file.json()) as { id: string; sha256: string };
      });
      const upRss = { gateway: gUp.stop(), files: fUp.stop() };
      if (viaUp.value.sha256 !== expectedHash) throw new Error('tus upload: sha256 differs');

      // where the time goes: the same calls straight to the files app, and through files' sidecar only
      const filesApp = `http://127.0.0.1:${stack.apps.get(AppIds.files)!.port}`;
      const filesViaSidecar = `http://127.0.0.1:${stack.apps.get(AppIds.files)!.daprHttpPort}/v1.0/invoke/files/method`;
      const mpDirect = multipartStream('bench-direct.bin', MULTIPART);
      const toFilesApp = await timed(async () => {
        const res = await fetch(`${filesApp}/api/v1/files`, { method: 'POST', headers: { ...auth, 'dapr-api-token': stack.appApiToken, 'content-type': mpDirect.contentType, 'content-length': String(mpDirect.length) }, body: mpDirect.body, duplex: 'half' } as RequestInit);
        const body = (await res.json()) as { sha256: string };
        if (res.status !== 201 || body.sha256 !== mpExpected) throw new Error(`upload to the files app: ${res.status}`);
      });
      const download = async (base: string) =>
        timed(async () => {
          // the files app answers its API only with the app token, as its sidecar presents it
          const res = await fetch(`${base}/api/v1/files/${viaUp.value.id}/content?redirect=false`, { headers: base === filesApp ? { ...auth, 'dapr-api-token': stack.appApiToken } : auth });
          if (res.status !== 200) throw new Error(`download: ${res.status}`);
          const h = createHash('sha256');
          for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) h.update(c);
          if (h.digest('hex') !== expectedHash) throw new Error(`download from ${base}: bytes differ`);
        });
      const fromFilesApp = await download(filesApp);
      const fromFilesSidecar = await download(filesViaSidecar);
      // both sidecars, no gateway: the gateway's daprd invoking files, as the gateway calls it
      const fromGatewaySidecar = await download(`http://127.0.0.1:${stack.apps.get(AppIds.gateway)!.daprHttpPort}/v1.0/invoke/files/method`);

      /** A download through the gateway, proxied or by redirect, with the CPU the gateway and files spent on it. */
      const downloadViaGateway = async (redirect: boolean) => {
        const cpu0 = { gateway: cpuSeconds(gatewayPid), files: cpuSeconds(filesPid) };
        const gRss = rssSampler(gatewayPid);
        const fRss = rssSampler(filesPid);
        let redirectMs = 0;
        const run = await timed(async () => {
          const t0 = performance.now();
          // fetch follows the 307 (and leaves the Authorization header behind: Azurite is another origin)
          const res = await fetch(`${gw}/api/v1/files/${viaUp.value.id}/content?redirect=${redirect}`, { headers: auth, redirect: redirect ? 'manual' : 'follow' });
          let body = res;
          if (redirect) {
            if (res.status !== 307) throw new Error(`download by redirect: ${res.status}`);
            redirectMs = performance.now() - t0;
            body = await fetch(res.headers.get('location')!);
          }
          if (body.status !== 200) throw new Error(`download: ${body.status}`);
          const h = createHash('sha256');
          for await (const c of body.body as unknown as AsyncIterable<Uint8Array>) h.update(c);
          return h.digest('hex');
        });
        const rss = { gateway: gRss.stop(), files: fRss.stop() };
        if (run.value !== expectedHash) throw new Error(`download through the gateway (redirect=${redirect}): bytes differ`);
        const perGiB = (used: number) => ((used * 1024 * MiB) / SIZE).toFixed(2);
        const cpu = { gateway: perGiB(cpuSeconds(gatewayPid) - cpu0.gateway), files: perGiB(cpuSeconds(filesPid) - cpu0.files) };
        return { ...run, rss, cpu, redirectMs };
      };
      const viaDown = await downloadViaGateway(false);
      const downRss = viaDown.rss;
      const byRedirect = await downloadViaGateway(true);
      // what a redirect costs on its own: the authorised 307, twenty times, no bytes
      const redirectTimes: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const res = await fetch(`${gw}/api/v1/files/${viaUp.value.id}/content`, { headers: auth, redirect: 'manual' });
        await res.arrayBuffer();
        if (res.status !== 307) throw new Error(`redirect: ${res.status}`);
        redirectTimes.push(performance.now() - t0);
      }
      redirectTimes.sort((a, b) => a - b);

      const rate = (s: number, size = SIZE) => size / MiB / s;
      const directRate = { up: rate(directUp.seconds), down: rate(directDown.seconds) };
      const pct = (r: number, of: number) => `${((100 * r) / of).toFixed(0)}%`;
      console.log(`\n${SIZE / MiB} MiB file (multipart: ${MULTIPART / MiB} MiB), sha256 checked every way`);
      console.table({
        'direct @azure/storage-blob': { 'upload MiB/s': directRate.up.toFixed(1), 'download MiB/s': directRate.down.toFixed(1), 'up vs direct': '', 'down vs direct': '' },
        'gateway, multipart POST /files': { 'upload MiB/s': rate(viaMultipart.seconds, MULTIPART).toFixed(1), 'download MiB/s': '', 'up vs direct': pct(rate(viaMultipart.seconds, MULTIPART), directRate.up), 'down vs direct': '' },
        'gateway, tus /uploads (256 MiB PATCHes)': { 'upload MiB/s': rate(viaUp.seconds).toFixed(1), 'download MiB/s': '', 'up vs direct': pct(rate(viaUp.seconds), directRate.up), 'down vs direct': '' },
        'files app alone (no Dapr, no gateway)': { 'upload MiB/s': rate(toFilesApp.seconds, MULTIPART).toFixed(1), 'download MiB/s': rate(fromFilesApp.seconds).toFixed(1), 'up vs direct': pct(rate(toFilesApp.seconds, MULTIPART), directRate.up), 'down vs direct': pct(rate(fromFilesApp.seconds), directRate.down) },
        "files through its sidecar (no gateway)": { 'upload MiB/s': '', 'download MiB/s': rate(fromFilesSidecar.seconds).toFixed(1), 'up vs direct': '', 'down vs direct': pct(rate(fromFilesSidecar.seconds), directRate.down) },
        "both sidecars (the gateway's daprd, no gateway)": { 'upload MiB/s': '', 'download MiB/s': rate(fromGatewaySidecar.seconds).toFixed(1), 'up vs direct': '', 'down vs direct': pct(rate(fromGatewaySidecar.seconds), directRate.down) },
        'gateway, GET /files/{id}/content?redirect=false (proxied)': { 'upload MiB/s': '', 'download MiB/s': rate(viaDown.seconds).toFixed(1), 'up vs direct': '', 'down vs direct': pct(rate(viaDown.seconds), directRate.down) },
        'gateway, GET /files/{id}/content (307 to a SAS URL, followed)': { 'upload MiB/s': '', 'download MiB/s': rate(byRedirect.seconds).toFixed(1), 'up vs direct': '', 'down vs direct': pct(rate(byRedirect.seconds), directRate.down) },
      });
      console.log('download through the gateway: CPU seconds per GiB, and the redirect alone');
      console.table({
        proxied: { 'gateway CPU s/GiB': viaDown.cpu.gateway, 'files CPU s/GiB': viaDown.cpu.files, 'first answer ms': '' },
        'by redirect': { 'gateway CPU s/GiB': byRedirect.cpu.gateway, 'files CPU s/GiB': byRedirect.cpu.files, 'first answer ms': byRedirect.redirectMs.toFixed(1) },
        '307 alone (20 calls)': { 'gateway CPU s/GiB': '', 'files CPU s/GiB': '', 'first answer ms': `p50 ${percentile(redirectTimes, 50).toFixed(1)}, max ${redirectTimes.at(-1)!.toFixed(1)}` },
      });
      const mem = (r: { start: number; peak: number }) => `${r.start.toFixed(0)} → ${r.peak.toFixed(0)} (+${(r.peak - r.start).toFixed(0)})`;
      console.log('RSS MiB, start → peak (growth)');
      console.table({
        'multipart upload': { gateway: mem(mpRss.gateway), files: mem(mpRss.files) },
        'tus upload': { gateway: mem(upRss.gateway), files: mem(upRss.files) },
        'download, proxied': { gateway: mem(downRss.gateway), files: mem(downRss.files) },
        'download, by redirect': { gateway: mem(byRedirect.rss.gateway), files: mem(byRedirect.rss.files) },
      });

    }

    if (runs('list')) {
      // listing: LIST_FILES files for one user, written through the files service's own command
      // path (the events and read models are the real ones; the blobs are not needed to list)
      const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 8 });
      try {
        const db = kyselyFromPool(pool) as Kysely<Database>;
        const commands = commandHandler({ store: await EventStore.open({ db, schema: 'files' }), db, decider: fileDecider, streamOf: fileStream, projections });
        const seedStart = performance.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < LIST_FILES) {
              const i = next++;
              const fileId = randomUUID();
              const versionId = randomUUID();
              await commands.handle(
                fileId,
                { type: 'UploadFile', data: { fileId, ownerId: userId, name: `document ${String(i).padStart(5, '0')}.pdf`, via: 'multipart', content: { versionId, blobName: `${userId}/${fileId}/${versionId}`, size: 1000 + i, contentType: 'application/pdf', sha256: '0'.repeat(64) }, now: new Date(Date.now() - i * 1000) } },
                { metadata: { actor: `user:${userId}` } },
              );
            }
          }),
        );
        console.log(`\nseeded ${LIST_FILES} files in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
        await pool.query('analyze files.files');
      } finally {
        await pool.end();
      }

      const filesSidecar = stack.apps.get(AppIds.files)!.daprHttpPort;
      const listLatency = async (base: string, n: number, warmUp: number) => {
        // untimed first calls: connections, JIT, the plan cache
        for (let i = 0; i < warmUp; i++) await (await fetch(`${base}/api/v1/files?limit=50`, { headers: auth })).arrayBuffer();
        const times: number[] = [];
        let cursor: string | null = null;
        const sorts = ['-updatedAt', 'name', '-size', 'createdAt'];
        for (let i = 0; i < n; i++) {
          // twenty pages in a row per sort order: the first page, then deeper and deeper by cursor
          const sort = sorts[Math.floor(i / 20) % sorts.length]!;
          if (i % 20 === 0) cursor = null;
          const url: string = `${base}/api/v1/files?limit=50&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`;
          const t0 = performance.now();
          const res = await fetch(url, { headers: auth });
          const body = (await res.json()) as { nextCursor: string | null; retryAfter?: number };
          if (res.status === 429) {
            // the gateway's per-user limit: wait it out, untimed, and ask again
            await new Promise((r) => setTimeout(r, (body.retryAfter ?? 5) * 1000));
            i--;
            continue;
          }
          times.push(performance.now() - t0);
          if (res.status !== 200) throw new Error(`list: ${res.status}`);
          cursor = body.nextCursor;
        }
        times.sort((a, b) => a - b);
        return { requests: n, 'p50 ms': percentile(times, 50).toFixed(1), 'p99 ms': percentile(times, 99).toFixed(1), 'max ms': times.at(-1)!.toFixed(1) };
      };
      console.log(`list with ${LIST_FILES} files for one user (limit=50, four sort orders, first and later pages)`);
      console.table({
        // the gateway allows a user 100 calls a minute by default: stay under it
        'through the gateway': await listLatency(gw, 60, 5),
        "through files' sidecar": await listLatency(`http://127.0.0.1:${filesSidecar}/v1.0/invoke/files/method`, 1000, 50),
      });
    }
    if (runs('as-of')) await timeTravel();
    rmSync(runDir, { recursive: true, force: true });
  } finally {
    // a failed run keeps its logs (runDir/logs) for reading
    await stack.stop();
  }
}

await main();
