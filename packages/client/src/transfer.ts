import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import * as tus from 'tus-js-client';
import type { TokenSource } from './auth.js';
import { ApiProblem } from './problem.js';
import type { StrataClient } from './index.js';

/** How far a transfer is: bytes so far of the whole (the whole is NaN when the answer did not say). */
export interface Progress {
  loaded: number;
  total: number;
}

/**
 * Upload URLs kept in a JSON file by the upload's fingerprint (its path, size and modification
 * time), so that a later run (after a crash, a kill, a lost connection) resumes instead of
 * starting again. tus-js-client's own Node store is not part of its typed API; this one is small.
 */
export class ResumeFile implements tus.UrlStorage {
  constructor(readonly path: string) {}

  private async read(): Promise<Record<string, tus.PreviousUpload>> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as Record<string, tus.PreviousUpload>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  private async write(items: Record<string, tus.PreviousUpload>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(items, null, 2), { mode: 0o600 });
    await rename(tmp, this.path);
  }

  async findAllUploads(): Promise<tus.PreviousUpload[]> {
    return Object.values(await this.read());
  }

  async findUploadsByFingerprint(fingerprint: string): Promise<tus.PreviousUpload[]> {
    const items = await this.read();
    return Object.entries(items)
      .filter(([key]) => key.startsWith(`tus::${fingerprint}::`))
      .map(([, upload]) => upload);
  }

  async removeUpload(urlStorageKey: string): Promise<void> {
    const items = await this.read();
    delete items[urlStorageKey];
    await this.write(items);
  }

  async addUpload(fingerprint: string, upload: tus.PreviousUpload): Promise<string> {
    const items = await this.read();
    const key = `tus::${fingerprint}::${Date.now()}`;
    items[key] = { ...upload, urlStorageKey: key };
    await this.write(items);
    return key;
  }
}

export interface UploadOptions {
  /** The gateway's origin. */
  baseUrl: string;
  auth: TokenSource;
  /** The file's name in Strata (the path's last part by default). */
  name?: string;
  /** Put it in this folder. */
  folderId?: string;
  /** Bytes per PATCH (8 MiB by default): what a cut connection can lose at most. */
  chunkSize?: number;
  onProgress?: (progress: Progress) => void;
  /** Where unfinished uploads are remembered, to resume in a later run (a path or a store). */
  resume?: string | tus.UrlStorage;
  /** Waits between attempts after a failed request (tus-js-client's retryDelays). */
  retryDelays?: number[];
  signal?: AbortSignal;
}

export interface UploadResult {
  /** The new file's id. */
  id: string;
  /** Where the upload was (its tus URL). */
  uploadUrl: string;
  /** Bytes already on the server when this run started (0 for a new upload). */
  resumedFrom: number;
}

const MiB = 1024 * 1024;

/**
 * Uploads a file by the tus 1.0 resumable protocol (`/api/v1/uploads`, tus-js-client): in chunks,
 * each request with a current token, retried after a cut or a 5xx, and, with `resume`, taken up
 * where an earlier run stopped. A path is read from disk range by range (bounded memory); bytes
 * are sent as they are.
 */
export async function uploadFile(source: string | Uint8Array, options: UploadOptions): Promise<UploadResult> {
  const isPath = typeof source === 'string';
  const size = isPath ? (await stat(source)).size : source.byteLength;
  const name = options.name ?? (isPath ? basename(source) : undefined);
  if (!name) throw new TypeError('uploadFile: a name is needed for bytes');
  const input = isPath ? createReadStream(source) : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const storage = typeof options.resume === 'string' ? new ResumeFile(options.resume) : options.resume;
  let fileId: string | undefined;
  let resumedFrom = 0;
  // a token the API refused (a wrong secret, a revoked client) ends the upload: no retry helps
  let refused: ApiProblem | undefined;

  try {
    return await new Promise<UploadResult>((resolve, reject) => {
      const upload = new tus.Upload(input as unknown as Buffer, {
        endpoint: new URL('/api/v1/uploads', options.baseUrl).href,
        uploadSize: size,
        chunkSize: options.chunkSize ?? 8 * MiB,
        retryDelays: options.retryDelays ?? [0, 1000, 3000, 5000, 10000],
        metadata: { filename: name, ...(options.folderId ? { folderId: options.folderId } : {}) },
        // the finished upload is forgotten by onSuccess itself: tus-js-client's own removal is not awaited
        ...(storage ? { urlStorage: storage, storeFingerprintForResuming: true, removeFingerprintOnSuccess: false } : { storeFingerprintForResuming: false }),
        onBeforeRequest: async (req) => {
          const token = await options.auth.token().catch((error: unknown) => {
            if (error instanceof ApiProblem && error.status >= 400 && error.status < 500) refused = error;
            throw error;
          });
          if (token) req.setHeader('Authorization', `Bearer ${token}`);
        },
        onAfterResponse: (_req, res) => {
          fileId = res.getHeader('x-file-id') ?? fileId;
        },
        onShouldRetry: (error) => {
          if (refused) return false;
          const status = error.originalResponse?.getStatus() ?? 0;
          if (status === 401 && options.auth.renew) {
            void options.auth.renew().catch(() => undefined);
            return true;
          }
          // a network failure, a server that is restarting, a lock or an offset race: try again
          return status === 0 || status === 409 || status === 423 || status === 429 || status >= 500;
        },
        onProgress: (loaded, total) => options.onProgress?.({ loaded, total }),
        onSuccess: () => {
          const url = upload.url;
          if (!fileId || !url) return reject(new ApiProblem({ type: 'about:blank', title: 'The upload finished without a file id', status: 502 }));
          const id = fileId;
          const forget = async () => {
            if (!storage) return;
            for (const kept of await storage.findAllUploads()) if (kept.uploadUrl === url) await storage.removeUpload(kept.urlStorageKey);
          };
          forget().then(() => resolve({ id, uploadUrl: url, resumedFrom }), reject);
        },
        onError: (error) => reject(refused ?? problemOfTus(error)),
      });
      options.signal?.addEventListener('abort', () => {
        void upload.abort();
        reject(options.signal?.reason as Error);
      }, { once: true });
      const begin = async () => {
        if (storage) {
          const previous = await upload.findPreviousUploads();
          const last = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
          if (last) {
            upload.resumeFromPreviousUpload(last);
            resumedFrom = await offsetOf(last.uploadUrl, options.auth).catch(() => 0);
          }
        }
        upload.start();
      };
      begin().catch(reject);
    });
  } finally {
    if (isPath) (input as ReturnType<typeof createReadStream>).destroy();
  }
}

/** Where an unfinished upload stands (HEAD: Upload-Offset), to tell the caller what was resumed. */
async function offsetOf(uploadUrl: string | null, auth: TokenSource): Promise<number> {
  if (!uploadUrl) return 0;
  const token = await auth.token();
  const res = await fetch(uploadUrl, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return res.ok ? Number(res.headers.get('upload-offset') ?? 0) : 0;
}

function problemOfTus(error: Error | tus.DetailedError): ApiProblem {
  const answer = (error as tus.DetailedError).originalResponse;
  if (!answer) return new ApiProblem({ type: 'about:blank', title: 'The upload could not reach Strata', status: 0, detail: error.message });
  let body: unknown;
  try {
    body = JSON.parse(answer.getBody() ?? '');
  } catch {
    body = undefined;
  }
  return ApiProblem.fromBody({ status: answer.getStatus(), statusText: 'Upload failed', headers: { get: (name) => answer.getHeader(name) ?? null } }, body);
}

export interface DownloadOptions {
  /** A version other than the latest. */
  version?: number;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  bytes: number;
  /** The hex SHA-256 of what was written. */
  sha256: string;
}

/**
 * Downloads a file's content into a path or a stream, with progress. The API answers with a
 * short-lived link to the bytes in Blob Storage (`GET /files/{id}/content/link`), which is read
 * without the token; where the service streams downloads itself (409 `redirects-off`) the content
 * comes from `GET /files/{id}/content?redirect=false`. Content in the archive tier is not there
 * yet: that is an ApiProblem with status 202 and `retryAfter`.
 */
export async function downloadFile(client: StrataClient, id: string, to: string | Writable, options: DownloadOptions = {}): Promise<DownloadResult> {
  const query = options.version ? { version: options.version } : {};
  const link = await client.GET('/api/v1/files/{id}/content/link', { params: { path: { id }, query }, ...(options.signal ? { signal: options.signal } : {}) });
  let response: Response;
  if (link.data && 'url' in link.data) {
    response = await fetch(link.data.url, options.signal ? { signal: options.signal } : {});
  } else if (link.data) {
    const retry = link.data.retryAfterSeconds;
    throw new ApiProblem({ type: 'rehydrating', title: 'The content is being restored from the archive', status: 202, detail: `Try again in ${retry} seconds.` }, retry);
  } else if (link.response.status === 409 && (link.error as { type?: string } | undefined)?.type?.endsWith('/redirects-off')) {
    const direct = await client.GET('/api/v1/files/{id}/content', { params: { path: { id }, query: { ...query, redirect: false } }, parseAs: 'stream', ...(options.signal ? { signal: options.signal } : {}) });
    response = direct.response;
  } else {
    throw ApiProblem.fromBody(link.response, link.error);
  }
  if (!response.ok || !response.body) throw await ApiProblem.fromResponse(response);
  const total = Number(response.headers.get('content-length') ?? Number.NaN);
  const hash = createHash('sha256');
  let loaded = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      loaded += chunk.length;
      hash.update(chunk);
      options.onProgress?.({ loaded, total });
      done(null, chunk);
    },
  });
  const sink = typeof to === 'string' ? createWriteStream(to) : to;
  await pipeline(Readable.fromWeb(response.body as WebReadableStream), count, sink, options.signal ? { signal: options.signal } : {});
  return { bytes: loaded, sha256: hash.digest('hex') };
}
