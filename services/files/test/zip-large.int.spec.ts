/**
 * A ZIP of a large folder (2 GiB with FILES_ZIP_TEST_MIB=2048), streamed through the gateway as a
 * client gets it (gateway → its sidecar → files' sidecar → files): the resident memory (VmRSS,
 * sampled every 50 ms) of the gateway and of files each grows by less than 100 MiB while they send
 * it, and the archive read back by Info-ZIP's `unzip -t` and by yauzl has every name and every
 * sha256 right.
 *
 * The blobs are made cheaply: four files of repeating bytes (a different pattern each), streamed
 * as multipart bodies to the files app's own port. FILES_ZIP_TEST_MIB sets the folder's size: 256
 * by default (the suite's time), 2048 for the issue's 2 GiB folder, 4200 for the ZIP64 case
 * (offsets past 4 GiB) at about twice that.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { supervisorState } from '@strata/testing/harness';
import type {} from '@strata/testing';
import { describe, expect, inject, it } from 'vitest';
import { Client } from './support.js';
import { readZip } from './zip-reader.js';

const stack = inject('stack');
const run = promisify(execFile);
const MIB = 1024 * 1024;
// 256 MiB in the suite's run (its time on a loaded two-core machine); FILES_ZIP_TEST_MIB=2048 for the 2 GiB case
const TOTAL_MIB = Number(process.env.FILES_ZIP_TEST_MIB ?? 256);

/** A file of `mib` MiB repeating one 1 MiB pattern: its multipart body as a stream, and its sha256. */
function patterned(seed: number, mib: number) {
  const chunk = Buffer.alloc(MIB);
  for (let i = 0; i < MIB; i++) chunk[i] = (i * 31 + seed * 97 + (i >> 10)) & 0xff;
  const hash = createHash('sha256');
  for (let i = 0; i < mib; i++) hash.update(chunk);
  return {
    sha256: hash.digest('hex'),
    body: (name: string, boundary: string) =>
      Readable.from(
        (function* () {
          yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
          for (let i = 0; i < mib; i++) yield chunk;
          yield Buffer.from(`\r\n--${boundary}--\r\n`);
        })(),
      ),
  };
}

function rssSampler(pid: number) {
  const read = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const start = read();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, read());
  }, 50);
  return { start, stop: () => (clearInterval(timer), { start, peak: Math.max(peak, read()) }) };
}

describe('a ZIP of a large folder', () => {
  it(`streams a folder of ${TOTAL_MIB} MiB through the gateway with the gateway's and files' memory each growing by less than 100 MiB, read back whole`, async () => {
    const a = await Client.user(stack);
    const folder = await a.call('POST', '/api/v1/folders', { name: 'Grand dossier' });
    expect(folder.status).toBe(201);
    const sub = await a.call('POST', '/api/v1/folders', { name: 'Pièces', parentId: folder.json.id });
    expect(sub.status).toBe(201);

    // four parts, the last one taking what is left; each under the multipart limit (1000 MiB)
    const parts = [0, 1, 2, 3].map((i) => Math.floor(TOTAL_MIB / 4) + (i === 3 ? TOTAL_MIB % 4 : 0));
    const expected = new Map<string, string>();
    const seededAt = performance.now();
    for (const [i, mib] of parts.entries()) {
      const file = patterned(i, mib);
      const name = `part-${i + 1}.bin`;
      const into = i % 2 === 0 ? (folder.json.id as string) : (sub.json.id as string);
      const boundary = `----strata${randomUUID()}`;
      const res = await fetch(`http://127.0.0.1:${stack.apps.files!.appPort}/api/v1/files?folderId=${into}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.accessToken}`, 'dapr-api-token': stack.appApiToken, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: Readable.toWeb(file.body(name, boundary)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      expect(res.status, await res.clone().text()).toBe(201);
      const stored = (await res.json()) as { id: string; sha256: string };
      expect(stored.sha256).toBe(file.sha256);
      expected.set(i % 2 === 0 ? `Grand dossier/${name}` : `Grand dossier/Pièces/${name}`, file.sha256);
    }
    const seedMs = performance.now() - seededAt;

    const processes = supervisorState(stack).processes;
    const pids = { gateway: processes.gateway!.pid!, files: processes.files!.pid! };
    const dir = await mkdtemp(join(tmpdir(), 'strata-zip-large-'));
    // daprd 1.18.3 closes a sidecar-to-sidecar connection nothing has taken from its pool for 3
    // minutes, even with an answer still streaming on it (dapr/dapr#10294, README "Known limit"):
    // a 2 GiB archive on a loaded machine may take longer, so a small call every 20 s uses it, as
    // any other user's traffic would
    const keepAlive = setInterval(() => void a.call('GET', `/api/v1/folders/${folder.json.id as string}`).catch(() => undefined), 20_000);
    try {
      const path = join(dir, 'big.zip');
      await new Promise((r) => setTimeout(r, 500));
      const rss = { gateway: rssSampler(pids.gateway), files: rssSampler(pids.files) };
      const started = performance.now();
      const res = await fetch(`${stack.gatewayUrl}/api/v1/zip`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ kind: 'folder', id: folder.json.id }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/zip');
      await pipeline(Readable.fromWeb(res.body as never), createWriteStream(path));
      const zipMs = performance.now() - started;
      const memory = { gateway: rss.gateway.stop(), files: rss.files.stop() };
      clearInterval(keepAlive);

      const readStarted = performance.now();
      const entries = await readZip(path);
      expect(entries.map((e) => e.name).sort()).toEqual(['Grand dossier/', 'Grand dossier/Pièces/', ...expected.keys()].sort());
      for (const e of entries.filter((x) => !x.name.endsWith('/'))) expect(e.sha256, e.name).toBe(expected.get(e.name));
      const tested = await run('unzip', ['-t', path], { maxBuffer: 1024 * 1024 });
      expect(tested.stdout).toContain('No errors detected');
      const readMs = performance.now() - readStarted;

      const mib = (m: { start: number; peak: number }) => `${Math.round(m.start)} → peak ${Math.round(m.peak)} MiB (+${Math.round(m.peak - m.start)} MiB)`;
      console.info(
        `zip of ${TOTAL_MIB} MiB: seeded in ${Math.round(seedMs / 1000)} s, streamed through the gateway in ${(zipMs / 1000).toFixed(1)} s ` +
          `(${Math.round(TOTAL_MIB / (zipMs / 1000))} MiB/s), read back (yauzl, unzip -t) in ${Math.round(readMs / 1000)} s; ` +
          `RSS gateway ${mib(memory.gateway)}, files ${mib(memory.files)}`,
      );
      expect(memory.gateway.peak - memory.gateway.start).toBeLessThan(100);
      expect(memory.files.peak - memory.files.start).toBeLessThan(100);
    } finally {
      clearInterval(keepAlive);
      await rm(dir, { recursive: true, force: true });
    }
  }, 3_600_000);
});
