import type { FileInfo, FileSort, Rehydrating } from '@strata/client';
import { FileEventTypes } from '@strata/contracts/event-types';
import { ApiProblem, api, currentAccessToken, refreshAccessToken, unreachable, unwrap } from './api';

export type { FileAsOf, FileInfo, FileSort, Rehydrating, TrashedFile, VersionInfo } from '@strata/client';

/** `asOf`: the list as it was at that moment (time travel), read-only. */
export const listFiles = ({ q, cursor, asOf, ...query }: { q?: string; sort?: FileSort; cursor?: string | null; limit?: number; asOf?: string | null }) =>
  api.GET('/api/v1/files', { params: { query: { ...query, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}), ...(asOf ? { asOf } : {}) } } }).then(unwrap);

/** A file as it was at a moment: `trashedAt` says whether it was in the trash then. */
export const getFileAsOf = (id: string, asOf: string) => api.GET('/api/v1/files/{id}', { params: { path: { id }, query: { asOf } } }).then(unwrap);

/**
 * What a `datetime-local` input holds (the browser's local time, no offset) as the moment the API
 * takes (RFC 3339, UTC); null when it holds nothing usable.
 */
export function momentOf(local: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(local)) return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export const getFile = (id: string) => api.GET('/api/v1/files/{id}', { params: { path: { id } } }).then(unwrap);
export const renameFile = (file: FileInfo, name: string) =>
  api.PATCH('/api/v1/files/{id}', { params: { path: { id: file.id }, header: { 'if-match': `"${file.revision}"` } }, body: { name } }).then(unwrap);
export const trashFile = (id: string) => api.DELETE('/api/v1/files/{id}', { params: { path: { id } } }).then(unwrap);
export const restoreFile = (id: string) => api.POST('/api/v1/files/{id}/restore', { params: { path: { id } } }).then(unwrap);
export const purgeFile = (id: string) => api.DELETE('/api/v1/trash/{id}', { params: { path: { id } } }).then(unwrap);
export const listTrash = (cursor?: string | null) => api.GET('/api/v1/trash', { params: { query: cursor ? { cursor } : {} } }).then(unwrap);
export const listVersions = (id: string) => api.GET('/api/v1/files/{id}/versions', { params: { path: { id } } }).then(unwrap);
/** Makes version `n` current again: a new version with its content (no bytes copied). */
export const restoreVersion = (id: string, n: number) => api.POST('/api/v1/files/{id}/versions/{n}/restore', { params: { path: { id, n } } }).then(unwrap);
/** Names a version, or takes its name away (null). */
export const labelVersion = (id: string, n: number, label: string | null) => api.PATCH('/api/v1/files/{id}/versions/{n}', { params: { path: { id, n } }, body: { label } }).then(unwrap);
export const deleteVersion = (id: string, n: number) => api.DELETE('/api/v1/files/{id}/versions/{n}', { params: { path: { id, n } } }).then(unwrap);

export interface UploadProgress {
  loaded: number;
  total: number;
  /** bytes per second, smoothed */
  speed: number;
  /** seconds left at the current speed */
  eta: number;
}

/**
 * Sends one file as multipart (field `file`) with progress events; XMLHttpRequest because fetch
 * reports no upload progress. `target` is POST /api/v1/files (a new file; `?folderId=` puts it in a folder)
 * or PUT /api/v1/files/{id}/content (a new version).
 */
export function uploadFile(
  file: File,
  onProgress: (p: UploadProgress) => void,
  target: { method: 'POST'; path: '/api/v1/files'; folderId?: string | null } | { method: 'PUT'; path: `/api/v1/files/${string}/content` } = { method: 'POST', path: '/api/v1/files' },
): { done: Promise<FileInfo>; abort: () => void } {
  const url = 'folderId' in target && target.folderId ? `${target.path}?folderId=${encodeURIComponent(target.folderId)}` : target.path;
  const xhr = new XMLHttpRequest();
  const started = performance.now();
  let speed = 0;
  const send = (token: string | undefined) =>
    new Promise<FileInfo>((resolve, reject) => {
      xhr.open(target.method, url);
      if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.upload.onprogress = (e) => {
        const seconds = (performance.now() - started) / 1000;
        const current = seconds > 0 ? e.loaded / seconds : 0;
        speed = speed === 0 ? current : speed * 0.7 + current * 0.3;
        onProgress({ loaded: e.loaded, total: e.total || file.size, speed, eta: speed > 0 ? (file.size - e.loaded) / speed : Infinity });
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) return resolve(JSON.parse(xhr.responseText) as FileInfo);
        let body: unknown;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        reject(ApiProblem.fromBody({ status: xhr.status, statusText: xhr.statusText, headers: { get: (name) => xhr.getResponseHeader(name) } }, body));
      };
      xhr.onerror = () => reject(unreachable());
      xhr.onabort = () => reject(unreachable('Cancelled', 'The upload was cancelled.'));
      const form = new FormData();
      form.append('file', file, file.name);
      xhr.send(form);
    });
  const done = send(currentAccessToken()).catch(async (error: unknown) => {
    // an access token that expired mid-way: refresh once and send again
    if (error instanceof ApiProblem && error.status === 401 && (await refreshAccessToken())) return send(currentAccessToken());
    throw error;
  });
  return { done, abort: () => xhr.abort() };
}

/** What the list says of a file's content: ready to download, archived (a download brings it back), or being restored. */
export type ContentState = 'ready' | 'archived' | 'restoring';

export function contentState(file: Pick<FileInfo, 'tier' | 'rehydrating'>): ContentState {
  if (file.rehydrating) return 'restoring';
  return file.tier === 'Archive' ? 'archived' : 'ready';
}

/**
 * A live event applied to the list at once: FileRehydrationRequested marks the file as being
 * restored, FileRehydrated as ready (the reload that follows every file event confirms it).
 * Other events, and files not in the list, leave it as it is.
 */
export function withLiveRehydration<F extends FileInfo>(files: F[], event: { type: string; data: Record<string, unknown> }): F[] {
  const fileId = event.data.fileId;
  if (typeof fileId !== 'string') return files;
  if (event.type === FileEventTypes.FileRehydrationRequested) {
    const requestedAt = typeof event.data.requestedAt === 'string' ? event.data.requestedAt : null;
    return files.map((f) => (f.id === fileId ? { ...f, rehydrating: true, rehydrationRequestedAt: requestedAt } : f));
  }
  if (event.type === FileEventTypes.FileRehydrated) {
    return files.map((f) => (f.id === fileId ? { ...f, rehydrating: false, rehydrationRequestedAt: null, tier: f.tier === 'Archive' ? 'Hot' : f.tier } : f));
  }
  return files;
}

/** Hands a URL or a blob: URL to the browser as a download. */
function saveAs(href: string, name: string): void {
  const a = document.createElement('a');
  a.href = href;
  // honoured for blob: URLs; a SAS URL names the file itself (Content-Disposition: attachment)
  a.download = name;
  a.rel = 'noopener noreferrer';
  document.body.append(a);
  a.click();
  a.remove();
}

/**
 * Downloads a file (or one of its versions). The API gives a short-lived link to the bytes in
 * Blob Storage (GET /files/{id}/content/link): the browser saves it itself, streaming, without
 * the bytes passing through this page or the API. Where the service streams downloads itself
 * (409 redirects-off) the bytes are fetched with the bearer token (?redirect=false). Content in
 * the archive tier is not downloaded but asked back: its 202 is returned.
 */
export async function downloadFile(file: { id: string; name: string }, version?: number): Promise<Rehydrating | undefined> {
  const query = version ? { version } : {};
  const link = await api.GET('/api/v1/files/{id}/content/link', { params: { path: { id: file.id }, query } });
  if (link.data) {
    if ('state' in link.data) return link.data;
    saveAs(link.data.url, file.name);
    return undefined;
  }
  if (!(link.response.status === 409 && link.error?.type.endsWith('/redirects-off'))) {
    throw ApiProblem.fromBody(link.response, link.error ?? { detail: 'The file could not be downloaded.' });
  }
  const { data, error, response } = await api.GET('/api/v1/files/{id}/content', {
    params: { path: { id: file.id }, query: { ...query, redirect: false } },
    parseAs: 'blob',
  });
  if (!data) throw ApiProblem.fromBody(response, error ?? { detail: 'The file could not be downloaded.' });
  // read as a blob like the bytes it would have been: the 202's JSON is in it
  if (response.status === 202) return JSON.parse(await data.text()) as Rehydrating;
  const url = URL.createObjectURL(data);
  saveAs(url, file.name);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return undefined;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '…';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
