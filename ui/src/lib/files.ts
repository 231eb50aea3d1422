import { FileEventTypes } from '@strata/contracts/event-types';
import { ApiError, api, currentAccessToken, refreshAccessToken } from './api';

export interface FileInfo {
  id: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  version: number;
  revision: number;
  tier: string;
  createdAt: string;
  updatedAt: string;
  /** Archived content on its way back to the hot tier (a download asked for it). */
  rehydrating: boolean;
  rehydrationRequestedAt: string | null;
}
export interface TrashedFile extends FileInfo {
  trashedAt: string;
  purgeAt: string;
}
export interface VersionInfo {
  version: number;
  size: number;
  contentType: string;
  sha256: string;
  createdAt: string;
  tier: string;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type SortKey = 'name' | '-name' | 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt' | 'size' | '-size';

export function listFiles(options: { q?: string; sort?: SortKey; cursor?: string | null; limit?: number }) {
  const query = new URLSearchParams();
  if (options.q) query.set('q', options.q);
  if (options.sort) query.set('sort', options.sort);
  if (options.cursor) query.set('cursor', options.cursor);
  query.set('limit', String(options.limit ?? 50));
  return api<Page<FileInfo>>(`/files?${query}`);
}

export const renameFile = (file: FileInfo, name: string) =>
  api<FileInfo>(`/files/${file.id}`, { method: 'PATCH', json: { name }, headers: { 'if-match': `"${file.revision}"` } });
export const trashFile = (id: string) => api<void>(`/files/${id}`, { method: 'DELETE' });
export const restoreFile = (id: string) => api<FileInfo>(`/files/${id}/restore`, { method: 'POST' });
export const purgeFile = (id: string) => api<void>(`/trash/${id}`, { method: 'DELETE' });
export const listTrash = (cursor?: string | null) => api<Page<TrashedFile>>(`/trash${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
export const listVersions = (id: string) => api<{ items: VersionInfo[] }>(`/files/${id}/versions`);

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
 * reports no upload progress. `target` is POST /files (a new file) or PUT /files/{id}/content
 * (a new version).
 */
export function uploadFile(
  file: File,
  onProgress: (p: UploadProgress) => void,
  target: { method: 'POST' | 'PUT'; path: string } = { method: 'POST', path: '/files' },
): { done: Promise<FileInfo>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const started = performance.now();
  let speed = 0;
  const send = (token: string | undefined) =>
    new Promise<FileInfo>((resolve, reject) => {
      xhr.open(target.method, `/api/v1${target.path}`);
      if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.upload.onprogress = (e) => {
        const seconds = (performance.now() - started) / 1000;
        const current = seconds > 0 ? e.loaded / seconds : 0;
        speed = speed === 0 ? current : speed * 0.7 + current * 0.3;
        onProgress({ loaded: e.loaded, total: e.total || file.size, speed, eta: speed > 0 ? (file.size - e.loaded) / speed : Infinity });
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) return resolve(JSON.parse(xhr.responseText) as FileInfo);
        let title = xhr.statusText;
        let detail: string | undefined;
        try {
          const body = JSON.parse(xhr.responseText) as { title?: string; detail?: string };
          title = body.title ?? title;
          detail = body.detail;
        } catch {
          // not JSON
        }
        reject(new ApiError(xhr.status, title, detail, Number(xhr.getResponseHeader('retry-after')) || undefined));
      };
      xhr.onerror = () => reject(new ApiError(0, 'Network error', undefined));
      xhr.onabort = () => reject(new ApiError(0, 'Cancelled', 'The upload was cancelled.'));
      const form = new FormData();
      form.append('file', file, file.name);
      xhr.send(form);
    });
  const done = send(currentAccessToken()).catch(async (error: unknown) => {
    // an access token that expired mid-way: refresh once and send again
    if (error instanceof ApiError && error.status === 401 && (await refreshAccessToken())) return send(currentAccessToken());
    throw error;
  });
  return { done, abort: () => xhr.abort() };
}

/** The 202 of a download whose content is in the archive tier: it is being brought back. */
export interface Rehydrating {
  id: string;
  version: number;
  state: 'rehydrating';
  requestedAt: string;
  priority: 'Standard' | 'High';
  retryAfterSeconds: number;
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
export function withLiveRehydration(files: FileInfo[], event: { type: string; data: Record<string, unknown> }): FileInfo[] {
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

/**
 * Downloads a file (or one of its versions) with the bearer token and hands it to the browser;
 * content in the archive tier is not downloaded but asked back, and its 202 is returned.
 */
export async function downloadFile(file: { id: string; name: string }, version?: number): Promise<Rehydrating | undefined> {
  const fetchIt = () =>
    fetch(`/api/v1/files/${file.id}/content${version ? `?version=${version}` : ''}`, {
      headers: { authorization: `Bearer ${currentAccessToken() ?? ''}` },
    });
  let res = await fetchIt();
  if (res.status === 401 && (await refreshAccessToken())) res = await fetchIt();
  if (!res.ok) throw new ApiError(res.status, res.statusText, 'The file could not be downloaded.');
  if (res.status === 202) return (await res.json()) as Rehydrating;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
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
