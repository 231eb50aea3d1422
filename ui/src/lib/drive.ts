/**
 * The drive's pure logic, kept apart from the API calls so it is tested without a browser: what
 * an upload of a dropped folder tree does, what is selected, what a drop onto a folder means, and
 * what a bulk answer says to the person who asked.
 */

/** A file or folder named by kind and id, as /bulk and /zip take them. */
export interface ItemRef {
  kind: 'file' | 'folder';
  id: string;
}

// ---------------------------------------------------------------------------------------------
// Upload of a folder tree

/**
 * What a drop or a directory picker gave: a path relative to what was dropped ("photos/2024/a.jpg",
 * as `webkitRelativePath` spells it), and the file, or null for a folder (empty ones count too).
 */
export interface TreeEntry<F> {
  path: string;
  file: F | null;
}

export interface UploadPlan<F> {
  /** Every folder to make (or find), each after its parent: a path of names from the drop's top. */
  folders: string[][];
  /** Each file with the folder it goes in ([] for the folder the page shows). */
  files: { folder: string[]; name: string; file: F }[];
}

/** The names of a relative path; "", "." and ".." are not names and are dropped, as are empty segments. */
export function pathNames(path: string): string[] {
  return path.split(/[\\/]/).filter((part) => part !== '' && part !== '.' && part !== '..');
}

/** A folder path as one key (names cannot hold a slash, so the slash separates them). */
export const folderKey = (names: readonly string[]): string => names.join('/');

/**
 * The plan of a tree's upload: the folders first, parents before children and each once, then the
 * files in the order given, each naming its folder. A file's folder is made even when nothing else
 * names it, and a folder that holds nothing is made too, so the structure is kept.
 */
export function planUpload<F>(entries: readonly TreeEntry<F>[]): UploadPlan<F> {
  const seen = new Set<string>();
  const folders: string[][] = [];
  const addFolder = (names: string[]) => {
    for (let depth = 1; depth <= names.length; depth++) {
      const prefix = names.slice(0, depth);
      const key = folderKey(prefix);
      if (seen.has(key)) continue;
      seen.add(key);
      folders.push(prefix);
    }
  };
  const files: UploadPlan<F>['files'] = [];
  for (const entry of entries) {
    const names = pathNames(entry.path);
    if (entry.file === null) {
      addFolder(names);
      continue;
    }
    const name = names.at(-1);
    if (name === undefined) continue;
    const folder = names.slice(0, -1);
    addFolder(folder);
    files.push({ folder, name, file: entry.file });
  }
  // parents before children whatever the order given: a stable sort by depth keeps siblings in order
  folders.sort((a, b) => a.length - b.length);
  return { folders, files };
}

/** How folder names are compared, as the service does: case-insensitive after Unicode normalisation. */
export const sameName = (a: string, b: string): boolean => a.normalize('NFC').toLocaleLowerCase() === b.normalize('NFC').toLocaleLowerCase();

// ---------------------------------------------------------------------------------------------
// Selection

/** The selection: a set of `kind:id` keys, replaced (never changed in place) so a page's state sees each change. */
export type Selection = ReadonlySet<string>;

export const keyOf = (item: ItemRef): string => `${item.kind}:${item.id}`;

export function refOf(key: string): ItemRef {
  const at = key.indexOf(':');
  const kind = key.slice(0, at);
  if (kind !== 'file' && kind !== 'folder') throw new Error(`not a selection key: ${key}`);
  return { kind, id: key.slice(at + 1) };
}

export function toggled(selection: Selection, item: ItemRef): Selection {
  const next = new Set(selection);
  const key = keyOf(item);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return next;
}

/** All of the page's items selected, or (when they all were) none of them; what else was selected stays. */
export function toggledAll(selection: Selection, items: readonly ItemRef[]): Selection {
  const next = new Set(selection);
  if (allSelected(selection, items)) for (const item of items) next.delete(keyOf(item));
  else for (const item of items) next.add(keyOf(item));
  return next;
}

export const allSelected = (selection: Selection, items: readonly ItemRef[]): boolean => items.length > 0 && items.every((item) => selection.has(keyOf(item)));

/** Some but not all of the page's items: the "select all" box shows itself as mixed. */
export const someSelected = (selection: Selection, items: readonly ItemRef[]): boolean => items.some((item) => selection.has(keyOf(item))) && !allSelected(selection, items);

/** The selection without what is no longer listed (moved away, trashed, another folder opened). */
export function keptIn(selection: Selection, items: readonly ItemRef[]): Selection {
  const listed = new Set(items.map(keyOf));
  const next = new Set([...selection].filter((key) => listed.has(key)));
  return next.size === selection.size ? selection : next;
}

export const selectedRefs = (selection: Selection): ItemRef[] => [...selection].map(refOf);

// ---------------------------------------------------------------------------------------------
// Moves by drag and drop

/** The type a row's drag carries its items in, so that other drags (files from the desktop) are told apart. */
export const DRAG_TYPE = 'application/x-strata-items';

/**
 * What is dragged when a row is: the whole selection when the row is part of it, else the row alone.
 */
export function draggedItems(selection: Selection, row: ItemRef): ItemRef[] {
  return selection.has(keyOf(row)) ? selectedRefs(selection) : [row];
}

export function parseDragged(data: string): ItemRef[] | null {
  try {
    const parsed: unknown = JSON.parse(data);
    if (!Array.isArray(parsed)) return null;
    const items = parsed.filter(
      (p): p is ItemRef => typeof p === 'object' && p !== null && (p.kind === 'file' || p.kind === 'folder') && typeof p.id === 'string' && p.id !== '',
    );
    return items.length === parsed.length && items.length > 0 ? items : null;
  } catch {
    return null;
  }
}

/**
 * Whether the items may be dropped onto a folder (`null`: the top of the drive). A folder onto
 * itself is refused here; a folder into one of its own folders needs the tree and is the
 * service's 409, shown as its message.
 */
export const canDropOn = (items: readonly ItemRef[], target: string | null): boolean => items.length > 0 && !items.some((item) => item.kind === 'folder' && item.id === target);

// ---------------------------------------------------------------------------------------------
// Bulk answers

export interface BulkResult extends ItemRef {
  ok: boolean;
  status: number;
  detail?: string;
}

/**
 * What a bulk answer says: the items done, and one line per item that was not ("“a.txt”: A
 * folder of that name is already there."), named as the list shows them.
 */
export function bulkOutcome(results: readonly BulkResult[], nameOf: (item: ItemRef) => string | undefined): { done: ItemRef[]; failures: string[] } {
  const done: ItemRef[] = [];
  const failures: string[] = [];
  for (const result of results) {
    if (result.ok) {
      done.push({ kind: result.kind, id: result.id });
      continue;
    }
    const name = nameOf(result) ?? `a ${result.kind}`;
    failures.push(`“${name}”: ${result.detail ?? (result.status === 404 ? 'It is no longer there.' : `It could not be done (${result.status}).`)}`);
  }
  return { done, failures };
}

/** "3 items" / "1 folder" / "2 files": what a selection or a result is, in words. */
export function countWords(items: readonly ItemRef[]): string {
  const folders = items.filter((i) => i.kind === 'folder').length;
  const files = items.length - folders;
  if (folders === 0) return `${files} ${files === 1 ? 'file' : 'files'}`;
  if (files === 0) return `${folders} ${folders === 1 ? 'folder' : 'folders'}`;
  return `${items.length} items`;
}

// ---------------------------------------------------------------------------------------------
// Addresses

/**
 * The files page's address for a folder (null: the top) and a moment of the past (null: now), so
 * that back, forward and a reload show the same folder at the same moment.
 */
export function filesHref({ folder = null, asOf = null }: { folder?: string | null; asOf?: string | null }): string {
  const query = new URLSearchParams();
  if (folder) query.set('folder', folder);
  if (asOf) query.set('asOf', asOf);
  const text = query.toString();
  return text ? `/files?${text}` : '/files';
}

/** A moment read from the address: an RFC 3339 timestamp the API takes, or null (now) for anything else. */
export function momentParam(value: string | null): string | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
  return Number.isNaN(Date.parse(value)) ? null : value;
}
