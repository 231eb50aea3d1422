import * as tus from 'tus-js-client';
import { ApiProblem, currentAccessToken, refreshAccessToken, unreachable } from './api';
import type { UploadProgress } from './files';

/** Files at least this large go up resumably (tus), in chunks that survive a dropped connection. */
export const RESUMABLE_FROM_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 8 * 1024 * 1024;

export interface Unfinished {
  name: string;
  size: number;
  startedAt: string;
}

/** Uploads started in this browser and not finished (a reload, a closed tab): they can resume. */
export async function unfinishedUploads(): Promise<Unfinished[]> {
  const stored = await tus.defaultOptions.urlStorage.findAllUploads();
  return stored.map((u) => ({
    name: String(u.metadata?.filename ?? 'file'),
    size: Number(u.size ?? 0),
    startedAt: String(u.creationTime ?? ''),
  }));
}

/**
 * A tus 1.0 upload to /api/v1/uploads that resumes where a previous attempt of the same file
 * (same name, size and date) stopped, even after a reload: the upload's URL is kept in
 * localStorage until it completes. Each request carries a fresh access token. `folderId` puts the
 * file in that folder (Upload-Metadata "folderId").
 */
export function uploadResumable(file: File, onProgress: (p: UploadProgress) => void, folderId: string | null = null): { done: Promise<{ id: string }>; abort: () => void; resumed: Promise<boolean> } {
  const started = performance.now();
  let fileId: string | undefined;
  let firstOffset: number | undefined;
  let speed = 0;
  let upload: tus.Upload | undefined;
  let markResumed: (v: boolean) => void = () => {};
  const resumed = new Promise<boolean>((r) => (markResumed = r));

  const done = new Promise<{ id: string }>((resolve, reject) => {
    upload = new tus.Upload(file, {
      endpoint: '/api/v1/uploads',
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: true,
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream', ...(folderId ? { folderId } : {}) },
      onBeforeRequest: async (req) => {
        const token = currentAccessToken();
        if (token) req.setHeader('Authorization', `Bearer ${token}`);
      },
      onShouldRetry: (error, _attempt, options) => {
        const status = (error as tus.DetailedError).originalResponse?.getStatus() ?? 0;
        // an expired access token: refresh it and try again
        if (status === 401) {
          void refreshAccessToken();
          return true;
        }
        return status === 0 || status >= 500 || status === 409 || status === 423 || (options.retryDelays?.length ?? 0) === 0;
      },
      onAfterResponse: (_req, res) => {
        const id = res.getHeader('x-file-id');
        if (id) fileId = id;
      },
      onProgress: (loaded, total) => {
        firstOffset ??= loaded;
        const seconds = (performance.now() - started) / 1000;
        const current = seconds > 0 ? (loaded - (firstOffset ?? 0)) / seconds : 0;
        speed = speed === 0 ? current : speed * 0.7 + current * 0.3;
        onProgress({ loaded, total, speed, eta: speed > 0 ? (total - loaded) / speed : Infinity });
      },
      onSuccess: () => (fileId ? resolve({ id: fileId }) : reject(new ApiProblem({ type: 'about:blank', title: 'Upload finished without a file id', status: 502 }))),
      onError: (error) => {
        const answer = (error as tus.DetailedError).originalResponse;
        if (!answer) return reject(unreachable('Upload failed'));
        let body: unknown;
        try {
          body = JSON.parse(answer.getBody() ?? '');
        } catch {
          body = undefined;
        }
        reject(ApiProblem.fromBody({ status: answer.getStatus(), statusText: 'Upload failed', headers: { get: (name) => answer.getHeader(name) ?? null } }, body));
      },
    });
    void upload.findPreviousUploads().then((previous) => {
      const last = previous[0];
      if (last) upload!.resumeFromPreviousUpload(last);
      markResumed(Boolean(last));
      upload!.start();
    });
  });
  return { done, abort: () => void upload?.abort(), resumed };
}
