import type {} from '@strata/testing';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ApiProblem, clientCredentials, createStrataClient, paginate, unwrap } from '../src/index.js';
import { ResumeFile, downloadFile, uploadFile } from '../src/node.js';

const stack = inject('stack');
const run = promisify(execFile);
const sessionsDir = fileURLToPath(new URL('../../../services/sessions', import.meta.url));
const MiB = 1024 * 1024;

async function partner(scopes = 'files:read,files:write') {
  const { stdout } = await run(process.execPath, ['--conditions=development', '--import', 'tsx', 'scripts/register-partner.ts', '--name', 'SDK transfers', '--scopes', scopes], {
    cwd: sessionsDir,
    env: { ...process.env, DATABASE_URL: stack.databaseUrl },
  });
  const clientId = /client_id:\s+(\S+)/.exec(stdout)![1]!;
  const clientSecret = /client_secret:\s+(\S+)/.exec(stdout)![1]!;
  const auth = clientCredentials({ baseUrl: stack.gatewayUrl, clientId, clientSecret });
  return { clientId, clientSecret, auth, strata: createStrataClient({ baseUrl: stack.gatewayUrl, auth, retry: {} }) };
}

const scratch = mkdtempSync(join(tmpdir(), 'strata-sdk-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A Writable that keeps what it is given. */
function collect() {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

describe('the SDK\'s transfers against the stack', () => {
  it('an upload aborted midway resumes from the server\'s offset in a later call, to the same bytes', async () => {
    const { auth, strata } = await partner();
    const bytes = randomBytes(24 * MiB + 123);
    const path = join(scratch, 'resumable.bin');
    writeFileSync(path, bytes);
    const resume = join(scratch, 'uploads.json');

    const abort = new AbortController();
    const first = uploadFile(path, {
      baseUrl: stack.gatewayUrl,
      auth,
      resume,
      chunkSize: 4 * MiB,
      signal: abort.signal,
      onProgress: ({ loaded }) => {
        if (loaded >= 9 * MiB) abort.abort(new Error('stopped on purpose'));
      },
    });
    await expect(first).rejects.toThrow('stopped on purpose');
    const kept = await new ResumeFile(resume).findAllUploads();
    expect(kept).toHaveLength(1);

    const seen: number[] = [];
    const done = await uploadFile(path, { baseUrl: stack.gatewayUrl, auth, resume, chunkSize: 4 * MiB, onProgress: ({ loaded }) => seen.push(loaded) });
    expect(done.resumedFrom).toBeGreaterThanOrEqual(8 * MiB);
    expect(done.resumedFrom % (4 * MiB)).toBe(0);
    expect(seen[0]).toBeGreaterThan(done.resumedFrom - 1);
    expect(await new ResumeFile(resume).findAllUploads()).toEqual([]);

    const info = unwrap(await strata.GET('/api/v1/files/{id}', { params: { path: { id: done.id } } }));
    expect(info).toMatchObject({ name: 'resumable.bin', size: bytes.length, sha256: sha256(bytes) });
    const progress: number[] = [];
    const out = collect();
    const got = await downloadFile(strata, done.id, out.sink, { onProgress: ({ loaded, total }) => progress.push(total - loaded) });
    expect(got).toEqual({ bytes: bytes.length, sha256: sha256(bytes) });
    expect(out.bytes().equals(bytes)).toBe(true);
    expect(progress.at(-1)).toBe(0);

    const listed: string[] = [];
    for await (const file of paginate((cursor) => strata.GET('/api/v1/files', { params: { query: { cursor, limit: 1 } } }))) listed.push(file.id);
    expect(listed).toContain(done.id);
  }, 120_000);

  it('what must not work: another client\'s file, a wrong secret, a scope without write, a file that is not there', async () => {
    const owner = await partner();
    const other = await partner();
    const { id } = await uploadFile(Buffer.from('private bytes'), { baseUrl: stack.gatewayUrl, auth: owner.auth, name: 'private.txt' });

    const stolen = downloadFile(other.strata, id, collect().sink);
    await expect(stolen).rejects.toBeInstanceOf(ApiProblem);
    await expect(stolen).rejects.toMatchObject({ status: 404 });
    const listed: string[] = [];
    for await (const file of paginate((cursor) => other.strata.GET('/api/v1/files', { params: { query: { cursor } } }))) listed.push(file.id);
    expect(listed).not.toContain(id);

    const wrong = clientCredentials({ baseUrl: stack.gatewayUrl, clientId: owner.clientId, clientSecret: `${owner.clientSecret}x` });
    await expect(uploadFile(Buffer.from('x'), { baseUrl: stack.gatewayUrl, auth: wrong, name: 'x.txt' })).rejects.toMatchObject({ status: 401 });

    const reader = await partner('files:read');
    await expect(uploadFile(Buffer.from('x'), { baseUrl: stack.gatewayUrl, auth: reader.auth, name: 'x.txt', retryDelays: [] })).rejects.toMatchObject({ status: 403 });

    await expect(downloadFile(owner.strata, '00000000-0000-4000-8000-000000000000', collect().sink)).rejects.toMatchObject({ status: 404 });
    await expect(uploadFile(Buffer.from('x'), { baseUrl: stack.gatewayUrl, auth: owner.auth, name: 'bad\u0000name', retryDelays: [] })).rejects.toMatchObject({ status: 422 });
  }, 120_000);
});
