import { type Kysely, sql } from 'kysely';
import type { Database, FileRow, FolderOperationKind, FolderRow } from '../db/schema.js';
import { filesAt, folderTableAt, foldersAt, pageOfFiles } from './as-of.js';
import { BadCursorError, type SortKey, SORT_COLUMNS, decodeCursor, decodeTrashCursor, encodeCursor, encodeTrashCursor, toFileInfo } from './queries.js';

/** A folder row with the operation in progress on it, if any (`files.folder_operations`, src/folder-operations.ts). */
export type FolderView = FolderRow & { pending: FolderOperationKind | null };

/** What the operation table says of each folder selected: trash or restore in progress, or null. */
const pending = sql<FolderOperationKind | null>`(select o.kind from files.folder_operations o where o.folder_id = files.folders.folder_id)`.as('pending');

const liveFolders = (db: Kysely<Database>) => db.selectFrom('files.folders').selectAll('files.folders').select(pending);

/** The folders table with each row's pending operation; or its past at `asOf`, when no operation is pending. */
const folders = (db: Kysely<Database>, asOf?: Date): ReturnType<typeof liveFolders> =>
  asOf === undefined
    ? liveFolders(db)
    : (foldersAt(db, asOf).selectAll().select(sql<FolderOperationKind | null>`null::text`.as('pending')) as unknown as ReturnType<typeof liveFolders>);

export function toFolderInfo(row: FolderView) {
  return {
    id: row.folder_id,
    name: row.name,
    parentId: row.parent_id,
    revision: row.revision,
    starred: row.starred_at !== null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    pending: row.pending,
  };
}

/** One of the owner's folders outside the trash (now, or at `asOf`); undefined for anyone else's, or one in the trash. */
export async function liveFolder(db: Kysely<Database>, ownerId: string, folderId: string, asOf?: Date): Promise<FolderView | undefined> {
  return folders(db, asOf).where('folder_id', '=', folderId).where('owner_id', '=', ownerId).where('status', '=', 'active').executeTakeFirst();
}

export async function folderInfoOf(db: Kysely<Database>, folderId: string) {
  return toFolderInfo(await folders(db).where('folder_id', '=', folderId).executeTakeFirstOrThrow());
}

/** From the top of the drive down to the folder itself (the root is not named), now or as of a moment. */
export async function breadcrumbsOf(db: Kysely<Database>, folderId: string, asOf?: Date): Promise<{ id: string; name: string }[]> {
  const folders = folderTableAt(asOf);
  const { rows } = await sql<{ folder_id: string; name: string }>`
    with recursive up as (
      select folder_id, name, parent_id, 1 as depth from ${folders} f where folder_id = ${folderId}::uuid
      union all
      select f.folder_id, f.name, f.parent_id, up.depth + 1 from ${folders} f join up on f.folder_id = up.parent_id where up.depth < 1000
    )
    select folder_id, name from up order by depth desc`.execute(db);
  return rows.map((r) => ({ id: r.folder_id, name: r.name }));
}

/*
 * A folder's entries: its folders first, then its files, each in the sort asked for (folders by
 * name when files go by size). A page is one keyset range on one index: the cursor says which
 * part it stopped in ("d." folders, "f." files) and where.
 */
type Part = 'd' | 'f';
export type ChildItem = ({ kind: 'folder' } & ReturnType<typeof toFolderInfo>) | ({ kind: 'file' } & ReturnType<typeof toFileInfo>);

function splitCursor(cursor: string | undefined): { part: Part; inner: string | undefined } {
  if (cursor === undefined) return { part: 'd', inner: undefined };
  // "f." alone: the files from their start (the folders ended exactly with a page)
  const match = /^([df])\.([A-Za-z0-9_-]{0,990})$/.exec(cursor);
  if (!match || (match[1] === 'd' && match[2] === '')) throw new BadCursorError();
  return { part: match[1] as Part, inner: match[2] === '' ? undefined : match[2] };
}

const typed = (column: SortKey, value: string) =>
  column === 'created_at' || column === 'updated_at' ? sql`${value}::timestamptz` : column === 'size' ? sql`${value}::bigint` : sql`${value}`;
const cursorValue = (v: unknown) => (v instanceof Date ? v.toISOString() : v);

/** `asOf`: the entries the folder held at that moment, as they were then. */
export async function childrenOf(
  db: Kysely<Database>,
  ownerId: string,
  folderId: string | null,
  query: { limit: number; cursor?: string | undefined; sort: string },
  asOf?: Date,
) {
  const desc = query.sort.startsWith('-');
  const direction = desc ? 'desc' : 'asc';
  const fileColumn = SORT_COLUMNS[query.sort.replace(/^-/, '')]!;
  const folderColumn: Exclude<SortKey, 'size'> = fileColumn === 'size' ? 'name' : fileColumn;
  const { part, inner } = splitCursor(query.cursor);
  const out: ChildItem[] = [];
  let nextCursor: string | null = null;
  const cmp = sql.raw(desc ? '<' : '>');

  if (part === 'd') {
    let q = folders(db, asOf).where('owner_id', '=', ownerId).where('status', '=', 'active');
    q = folderId === null ? q.where('parent_id', 'is', null) : q.where('parent_id', '=', folderId);
    if (inner !== undefined) {
      const [value, id] = decodeCursor(inner, folderColumn);
      q = q.where(sql<boolean>`(${sql.ref(folderColumn)}, folder_id) ${cmp} (${typed(folderColumn, value)}, ${id}::uuid)`);
    }
    const rows: FolderView[] = await q.orderBy(folderColumn, direction).orderBy('folder_id', direction).limit(query.limit + 1).execute();
    for (const row of rows.slice(0, query.limit)) out.push({ kind: 'folder', ...toFolderInfo(row) });
    if (rows.length > query.limit) {
      const last = rows[query.limit - 1]!;
      return { items: out, nextCursor: `d.${encodeCursor(cursorValue(last[folderColumn]), last.folder_id)}` };
    }
  }
  const room = query.limit - out.length;
  if (room > 0) {
    let q = filesAt(db, asOf).where('owner_id', '=', ownerId).where('status', '=', 'active');
    q = folderId === null ? q.where('folder_id', 'is', null) : q.where('folder_id', '=', folderId);
    if (part === 'f' && inner !== undefined) {
      const [value, id] = decodeCursor(inner, fileColumn);
      q = q.where(sql<boolean>`(${sql.ref(fileColumn)}, file_id) ${cmp} (${typed(fileColumn, value)}, ${id}::uuid)`);
    }
    const rows: FileRow[] = await pageOfFiles(db, q.orderBy(fileColumn, direction).orderBy('file_id', direction).limit(room + 1), asOf);
    for (const row of rows.slice(0, room)) out.push({ kind: 'file', ...toFileInfo(row) });
    if (rows.length > room) {
      const last = rows[room - 1]!;
      nextCursor = `f.${encodeCursor(cursorValue(last[fileColumn]), last.file_id)}`;
    }
  } else {
    // the page ended exactly with the last folder: the files, if any, start on the next one
    let q = filesAt(db, asOf).select('file_id').where('owner_id', '=', ownerId).where('status', '=', 'active');
    q = folderId === null ? q.where('folder_id', 'is', null) : q.where('folder_id', '=', folderId);
    if (await q.limit(1).executeTakeFirst()) nextCursor = 'f.';
  }
  return { items: out, nextCursor };
}

/**
 * What the owner starred and is outside the trash: folders, then files, each most recently
 * starred first (keyset on the time starred and the id, as the children's cursor).
 */
export async function starredOf(db: Kysely<Database>, ownerId: string, page: { limit: number; cursor?: string | undefined }) {
  const { part, inner } = splitCursor(page.cursor);
  const out: ChildItem[] = [];
  if (part === 'd') {
    let q = folders(db).where('owner_id', '=', ownerId).where('status', '=', 'active').where('starred_at', 'is not', null);
    if (inner !== undefined) {
      const [at, id] = decodeTrashCursor(inner);
      q = q.where(sql<boolean>`(starred_at, folder_id) < (${at}, ${id}::uuid)`);
    }
    const rows = await q.orderBy('starred_at', 'desc').orderBy('folder_id', 'desc').limit(page.limit + 1).execute();
    for (const row of rows.slice(0, page.limit)) out.push({ kind: 'folder', ...toFolderInfo(row) });
    if (rows.length > page.limit) {
      const last = rows[page.limit - 1]!;
      return { items: out, nextCursor: `d.${encodeTrashCursor(last.starred_at!, last.folder_id)}` };
    }
  }
  const room = page.limit - out.length;
  if (room === 0) {
    // the page ended exactly with the last folder: the files, if any, start on the next one
    const any = await db.selectFrom('files.files').select('file_id').where('owner_id', '=', ownerId).where('status', '=', 'active').where('starred_at', 'is not', null).limit(1).executeTakeFirst();
    return { items: out, nextCursor: any ? 'f.' : null };
  }
  let q = db.selectFrom('files.files').selectAll().where('owner_id', '=', ownerId).where('status', '=', 'active').where('starred_at', 'is not', null);
  if (part === 'f' && inner !== undefined) {
    const [at, id] = decodeTrashCursor(inner);
    q = q.where(sql<boolean>`(starred_at, file_id) < (${at}, ${id}::uuid)`);
  }
  const rows = await q.orderBy('starred_at', 'desc').orderBy('file_id', 'desc').limit(room + 1).execute();
  for (const row of rows.slice(0, room)) out.push({ kind: 'file', ...toFileInfo(row) });
  const last = rows[room - 1];
  return { items: out, nextCursor: rows.length > room && last ? `f.${encodeTrashCursor(last.starred_at!, last.file_id)}` : null };
}

/** The folders the owner put in the trash (not those that went along with one), most recent first. */
export async function trashedFolders(db: Kysely<Database>, ownerId: string, page: { limit: number; cursor?: string | undefined }) {
  let q = folders(db).where('owner_id', '=', ownerId).where('status', '=', 'trashed').where('trashed_with', 'is', null);
  if (page.cursor) {
    const [at, id] = decodeTrashCursor(page.cursor);
    q = q.where(sql<boolean>`(trashed_at, folder_id) < (${at}, ${id}::uuid)`);
  }
  const rows = await q.orderBy('trashed_at', 'desc').orderBy('folder_id', 'desc').limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => ({
      ...toFolderInfo(row),
      trashedAt: row.trashed_at!.toISOString(),
    })),
    nextCursor: rows.length > page.limit && last ? encodeTrashCursor(last.trashed_at!, last.folder_id) : null,
  };
}
