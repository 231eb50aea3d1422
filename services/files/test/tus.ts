import { type ChildProcess, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import type { TestStackInfo } from '@strata/testing';
import { freePort } from '@strata/testing/harness';

const TUS = { 'tus-resumable': '1.0.0' };

/** A minimal tus 1.0 client: creation, HEAD, PATCH, DELETE. */
export class TusClient {
  constructor(
    public base: string,
    readonly token: string,
    /** Sent on every call: the app token, for a client that calls the files app's port directly. */
    readonly fixed: Record<string, string> = {},
  ) {}

  private headers(extra: Record<string, string> = {}) {
    return { authorization: `Bearer ${this.token}`, ...this.fixed, ...TUS, ...extra };
  }

  async create(length: number, filename: string) {
    const metadata = `filename ${Buffer.from(filename).toString('base64')},filetype ${Buffer.from('text/html').toString('base64')}`;
    return fetch(`${this.base}/api/v1/uploads`, { method: 'POST', headers: this.headers({ 'upload-length': String(length), 'upload-metadata': metadata }) });
  }

  async head(location: string) {
    return fetch(`${this.base}${location}`, { method: 'HEAD', headers: this.headers() });
  }

  async offset(location: string): Promise<number> {
    const res = await this.head(location);
    if (res.status !== 200) throw new Error(`HEAD ${location}: ${res.status}`);
    return Number(res.headers.get('upload-offset'));
  }

  async patch(location: string, offset: number, body: Buffer | AsyncIterable<Uint8Array>, signal?: AbortSignal, contentType = 'application/offset+octet-stream') {
    const init: RequestInit & { duplex?: 'half' } = {
      method: 'PATCH',
      headers: this.headers({ 'upload-offset': String(offset), 'content-type': contentType }),
      body: Buffer.isBuffer(body) ? body : (ReadableStream.from(body) as unknown as NonNullable<RequestInit['body']>),
      duplex: 'half',
      ...(signal ? { signal } : {}),
    };
    return fetch(`${this.base}${location}`, init);
  }

  async terminate(location: string) {
    return fetch(`${this.base}${location}`, { method: 'DELETE', headers: this.headers() });
  }
}

/**
 * Bytes of a large test file, generated on the fly and the same from any offset (AES-CTR key
 * stream): a resumed upload sends exactly what the interrupted one would have.
 */
export async function* fileBytes(from: number, to: number, onChunk?: (sent: number) => void, chunkBytes = 1024 * 1024): AsyncGenerator<Buffer> {
  const aligned = from - (from % 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(aligned / 16), 8);
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), iv);
  const zeros = Buffer.alloc(chunkBytes);
  let at = aligned;
  let sent = 0;
  while (at < to) {
    const n = Math.min(chunkBytes, to - at);
    let chunk = cipher.update(zeros.subarray(0, n));
    if (at < from) chunk = chunk.subarray(from - at);
    at += n;
    sent += chunk.length;
    onChunk?.(sent);
    yield chunk;
  }
}

export async function sha256Of(from: number, to: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fileBytes(from, to)) hash.update(chunk);
  return hash.digest('hex');
}

/** A files replica in its own process (so that it can be killed with SIGKILL), using the stack's files sidecar. */
export async function spawnReplica(stack: TestStackInfo, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess; kill: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/server.ts'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...process.env,
      PORT: String(port),
      APP_ID: 'files',
      DAPR_HTTP_PORT: String(stack.apps.files!.daprHttpPort),
      DATABASE_URL: stack.databaseUrl,
      REDIS_URL: stack.redisUrl,
      BLOB_CONNECTION_STRING: stack.blobConnectionString,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      JOBS_INTERVAL_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`files replica exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('files replica not ready after 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return { url, child, kill };
}
