import type { components } from '@strata/client';
import { ApiProblem, api, unwrap } from './api';
import { type ItemRef, type TreeEntry, folderKey, planUpload, sameName } from './drive';
import type { FileSort } from './files';

export type Entry = components['schemas']['Entry'];
export type FolderEntry = Extract<Entry, { kind: 'folder' }>;
export type FileEntry = Extract<Entry, { kind: 'file' }>;
export type FolderInfo = components['schemas']['FolderInfo'];
export type FolderChildren = components['schemas']['FolderChildren'];
export type BulkAction = 'move' | 'trash' | 'restore' | 'purge' | 'star' | 'unstar';

/** A folder's entries (`null`: the top of the drive), folders first; `asOf` shows them as they were then. */
export const listChildren = (folder: string | null, { sort, cursor, asOf, limit }: { sort?: FileSort; cursor?: string | null; asOf?: string | null; limit?: number } = {}) =>
  api
    .GET('/api/v1/folders/{id}/children', {
      params: { path: { id: folder ?? 'root' }, query: { ...(sort ? { sort } : {}), ...(cursor ? { cursor } : {}), ...(asOf ? { asOf } : {}), ...(limit ? { limit } : {}) } },
    })
    .then(unwrap);

export const createFolder = (name: string, parentId: string | null) => api.POST('/api/v1/folders', { body: { name, parentId } }).then(unwrap);
export const renameFolder = (folder: { id: string; revision: number }, name: string) =>
  api.PATCH('/api/v1/folders/{id}', { params: { path: { id: folder.id }, header: { 'if-match': `"${folder.revision}"` } }, body: { name } }).then(unwrap);
export const trashFolder = (id: string) => api.DELETE('/api/v1/folders/{id}', { params: { path: { id } } }).then(unwrap);
export const restoreFolder = (id: string) => api.POST('/api/v1/folders/{id}/restore', { params: { path: { id } } }).then(unwrap);

/** One action on many items; the answer says per item whether it was done. */
export const bulk = (action: BulkAction, items: ItemRef[], targetFolderId?: string | null) =>
  api.POST('/api/v1/bulk', { body: { action, items, ...(action === 'move' ? { targetFolderId: targetFolderId ?? null } : {}) } }).then(unwrap);

export const star = (item: ItemRef) =>
  (item.kind === 'file' ? api.PUT('/api/v1/files/{id}/star', { params: { path: { id: item.id } } }) : api.PUT('/api/v1/folders/{id}/star', { params: { path: { id: item.id } } })).then(unwrap);
export const unstar = (item: ItemRef) =>
  (item.kind === 'file' ? api.DELETE('/api/v1/files/{id}/star', { params: { path: { id: item.id } } }) : api.DELETE('/api/v1/folders/{id}/star', { params: { path: { id: item.id } } })).then(
    unwrap,
  );

export const listStarred = (cursor?: string | null) => api.GET('/api/v1/starred', { params: { query: cursor ? { cursor } : {} } }).then(unwrap);
export const listRecent = (cursor?: string | null) => api.GET('/api/v1/recent', { params: { query: cursor ? { cursor } : {} } }).then(unwrap);

/**
 * Downloads the items as one ZIP, streamed to disk by the browser itself: a navigation cannot send
 * the bearer token, so the API gives a single-use link that needs none (POST /api/v1/zip/links,
 * valid for a minute), and the browser goes there. The answer is an attachment: the page stays,
 * and no byte passes through it. What cannot go in an archive (404 naming what is gone, 409
 * archived content, 422 too many entries) is the link's answer, an ApiProblem.
 */
export async function downloadZip(items: ItemRef[]): Promise<void> {
  const link = await api.POST('/api/v1/zip/links', { body: { items } }).then(unwrap);
  const a = document.createElement('a');
  a.href = link.url;
  // a download, named by the answer's Content-Disposition; and not a page for SvelteKit's router to open
  a.download = '';
  a.rel = 'external noopener noreferrer';
  document.body.append(a);
  a.click();
  a.remove();
}

/** The id of the folder of that name in `parent`, looked up page by page; undefined when there is none. */
async function findFolder(parent: string | null, name: string): Promise<string | undefined> {
  let cursor: string | null = null;
  do {
    const page: FolderChildren = await listChildren(parent, { sort: 'name', cursor, limit: 200 });
    for (const item of page.items) if (item.kind === 'folder' && sameName(item.name, name)) return item.id;
    // folders come first: once a file is listed, no folder follows
    if (page.items.some((item) => item.kind === 'file')) return undefined;
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}

/**
 * Makes the folders of a dropped tree under `parent`, parents first, and finds the ones already
 * there (a name taken: 409), so that dropping a folder twice fills the same folders. Returns what
 * to upload: each file with the id of the folder it goes in.
 */
export async function prepareTreeUpload<F>(entries: readonly TreeEntry<F>[], parent: string | null): Promise<{ file: F; name: string; folderId: string | null }[]> {
  const plan = planUpload(entries);
  const ids = new Map<string, string | null>([['', parent]]);
  for (const names of plan.folders) {
    const parentId = ids.get(folderKey(names.slice(0, -1))) ?? parent;
    const name = names.at(-1)!;
    let id: string | undefined;
    try {
      id = (await createFolder(name, parentId)).id;
    } catch (e) {
      if (!(e instanceof ApiProblem && e.status === 409)) throw e;
      id = await findFolder(parentId, name);
      if (!id) throw e;
    }
    ids.set(folderKey(names), id);
  }
  return plan.files.map(({ folder, name, file }) => ({ file, name, folderId: ids.get(folderKey(folder)) ?? parent }));
}

/** Everything in a dropped directory, read with the File and Directory Entries API (readEntries gives at most 100 at a time). */
async function readTree(entry: FileSystemEntry, path: string, into: TreeEntry<File>[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    into.push({ path, file });
    return;
  }
  if (!entry.isDirectory) return;
  into.push({ path, file: null });
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await readTree(child, `${path}/${child.name}`, into);
  }
}

/**
 * What a drop holds, folders with their structure: entries read from each dropped item
 * (`webkitGetAsEntry`, which must be called while the drop event runs), or its plain files where
 * the browser gives no entries.
 */
export async function droppedTree(transfer: DataTransfer): Promise<TreeEntry<File>[]> {
  const roots = [...transfer.items].filter((item) => item.kind === 'file').map((item) => item.webkitGetAsEntry?.() ?? null);
  if (roots.length === 0 || roots.some((root) => root === null)) return [...transfer.files].map((file) => ({ path: file.name, file }));
  const entries: TreeEntry<File>[] = [];
  for (const root of roots) await readTree(root!, root!.name, entries);
  return entries;
}

/** What a directory picker (`<input webkitdirectory>`) gave, by each file's relative path. */
export const pickedTree = (files: FileList | File[]): TreeEntry<File>[] => [...files].map((file) => ({ path: file.webkitRelativePath || file.name, file }));

export type TrashedFolder = components['schemas']['TrashedFolder'];
/** The folders put in the trash (not those that went with one), most recently deleted first. */
export const listTrashedFolders = (cursor?: string | null) => api.GET('/api/v1/trash/folders', { params: { query: cursor ? { cursor } : {} } }).then(unwrap);
