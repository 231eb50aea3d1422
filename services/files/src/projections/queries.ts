import { type Kysely, sql } from 'kysely';
import type { Database, FileRow, VersionRow } from '../db/schema.js';
import type { Caller } from '../caller.js';
import { filesAt, pageOfFiles } from './as-of.js';
import { fileAccess } from '../access.js';

export type SortKey = 'name' | 'created_at' | 'updated_at' | 'size';
const DAY_MS = 86_400_000;
export const SORT_COLUMNS: Record<string, SortKey> = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at', size: 'size' };

export function toFileInfo(row: FileRow) {
  return {
    id: row.file_id,
    name: row.name,
    size: Number(row.size),
    contentType: row.content_type,
    sha256: row.sha256,
    version: row.version,
    revision: row.revision,
    tier: row.tier,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...rehydrationOf(row),
    folderId: row.folder_id,
    starred: row.starred_at !== null,
  };
}

/** Whether the file's archived content is being brought back, since when. */
export function rehydrationOf(row: Pick<FileRow, 'rehydrating_since'>) {
  return { rehydrating: row.rehydrating_since !== null, rehydrationRequestedAt: row.rehydrating_since?.toISOString() ?? null };
}

export class BadCursorError extends Error {
  constructor() {
    super('The cursor is not one this API gave out.');
    this.name = 'BadCursorError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// eslint-disable-next-line no-control-regex -- names never hold control characters (nor can Postgres text hold NUL)
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A timestamp exactly as toISOString wrote it: Date.parse alone takes "1" or "2026-02-31", which Postgres refuses. */
function isIsoTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString() === value;
}

/** What a cursor may carry for each sort key: what encodeCursor wrote, and nothing Postgres could refuse. */
const CURSOR_VALUE: Record<SortKey, (value: unknown) => boolean> = {
  name: (v) => typeof v === 'string' && v.length <= 1024 && !CONTROL.test(v),
  created_at: isIsoTimestamp,
  updated_at: isIsoTimestamp,
  // bigint columns come back as strings, and are written so
  size: (v) => typeof v === 'string' && /^\d{1,18}$/.test(v),
};

/** base64url of JSON; `undefined` for anything else, however it fails. */
function decodeJson(cursor: string): unknown {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export const encodeCursor = (value: unknown, id: string) => Buffer.from(JSON.stringify([value, id])).toString('base64url');

/** A list cursor, checked against the sort it is used with: one given out for another sort is refused too. */
export function decodeCursor(cursor: string, column: SortKey): [string, string] {
  const parsed = decodeJson(cursor);
  if (!Array.isArray(parsed) || parsed.length !== 2) throw new BadCursorError();
  const [value, id] = parsed as unknown[];
  if (!CURSOR_VALUE[column](value) || typeof id !== 'string' || !UUID.test(id)) throw new BadCursorError();
  return [value as string, id];
}

export const encodeTrashCursor = (trashedAt: Date, id: string) => Buffer.from(`${trashedAt.toISOString()}|${id}`).toString('base64url');

export function decodeTrashCursor(cursor: string): [Date, string] {
  const [at, id, ...rest] = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8').split('|') : [];
  if (!isIsoTimestamp(at) || typeof id !== 'string' || !UUID.test(id) || rest.length > 0) throw new BadCursorError();
  return [new Date(at), id];
}

const escapeLike = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The caller's files, one page, by keyset on (sort key, id): each page is one index range scan
 * on (owner, sort key, id), however deep the page. A partner sees the files granted to it and its own.
 * `asOf`: the same list as it was at that moment, from the history (`as-of.ts`).
 */
export async function listFiles(
  db: Kysely<Database>,
  caller: Caller,
  query: { limit: number; cursor?: string | undefined; q?: string | undefined; sort: string; folder?: string | undefined },
  asOf?: Date,
) {
  const desc = query.sort.startsWith('-');
  const column = SORT_COLUMNS[query.sort.replace(/^-/, '')]!;
  // as of a moment: the files as they were then (a partner: those granted to it now)
  let q = filesAt(db, asOf).where('status', '=', 'active');
  // one folder's files (`root`: those outside every folder), or all of them
  if (query.folder === 'root') q = q.where('folder_id', 'is', null);
  else if (query.folder !== undefined) q = q.where('folder_id', '=', query.folder);
  if (caller.kind === 'partner') {
    q = q.where((eb) =>
      eb.or([
        eb('owner_id', '=', caller.ownerId),
        eb('file_id', 'in', eb.selectFrom('files.grants').select('file_id').where('client_id', '=', caller.clientId!)),
      ]),
    );
  } else {
    q = q.where('owner_id', '=', caller.ownerId);
  }
  if (query.q) q = q.where(sql<boolean>`name ilike ${`%${escapeLike(query.q)}%`}`);
  if (query.cursor) {
    const [value, id] = decodeCursor(query.cursor, column);
    const typed = column === 'created_at' || column === 'updated_at' ? sql`${value}::timestamptz` : column === 'size' ? sql`${value}::bigint` : sql`${value}`;
    q = q.where(sql<boolean>`(${sql.ref(column)}, file_id) ${sql.raw(desc ? '<' : '>')} (${typed}, ${id}::uuid)`);
  }
  const direction = desc ? 'desc' : 'asc';
  const rows = await pageOfFiles(db, q.orderBy(column, direction).orderBy('file_id', direction).limit(query.limit + 1), asOf);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const cursorValue = (row: FileRow) => {
    const v = row[column];
    // timestamps keep microseconds in Postgres; a Date drops them, so ties are broken by id only
    return v instanceof Date ? v.toISOString() : v;
  };
  return { items: page.map(toFileInfo), nextCursor: rows.length > query.limit && last ? encodeCursor(cursorValue(last), last.file_id) : null };
}

/** The file as the API shows it, read back after a command changed it. */
export async function fileInfoOf(db: Kysely<Database>, fileId: string) {
  return toFileInfo(await db.selectFrom('files.files').selectAll().where('file_id', '=', fileId).executeTakeFirstOrThrow());
}

/** Whose a file outside the trash is; undefined when there is none. */
export async function ownerOfActive(db: Kysely<Database>, fileId: string): Promise<string | undefined> {
  const row = await db.selectFrom('files.files').select('owner_id').where('file_id', '=', fileId).where('status', '=', 'active').executeTakeFirst();
  return row?.owner_id;
}

/** A file's versions, oldest first, as the API shows them. */
export async function versionsOf(db: Kysely<Database>, fileId: string) {
  const versions = await db.selectFrom('files.versions').selectAll().where('file_id', '=', fileId).orderBy('version').execute();
  return versions.map(toVersionInfo);
}

/** One version as the API shows it. */
export function toVersionInfo(v: VersionRow) {
  return {
    version: v.version,
    size: Number(v.size),
    contentType: v.content_type,
    sha256: v.sha256,
    createdAt: v.created_at.toISOString(),
    tier: v.tier,
    label: v.label,
    restoredFrom: v.restored_from,
  };
}

/** One version of a file, as the API shows it; undefined when there is none. */
export async function versionOf(db: Kysely<Database>, fileId: string, version: number) {
  const row = await db.selectFrom('files.versions').selectAll().where('file_id', '=', fileId).where('version', '=', version).executeTakeFirst();
  return row && toVersionInfo(row);
}

/**
 * What the owner's old versions take: how many versions are not their file's current one, and the
 * bytes of the blobs that no current version shares (each blob once: a restore shares one).
 */
export async function oldVersionsOf(db: Kysely<Database>, ownerId: string): Promise<{ oldVersions: number; versionBytes: number }> {
  const { rows } = await sql<{ old_versions: string; version_bytes: string }>`
    with v as (
      select v.blob_name, v.size, v.version = f.version as current
      from files.versions v join files.files f on f.file_id = v.file_id
      where v.owner_id = ${ownerId}
    )
    select (select count(*) from v where not current)::text as old_versions,
           (select coalesce(sum(size), 0) from (select max(size) as size from v group by blob_name having not bool_or(current)) b)::text as version_bytes`.execute(db);
  return { oldVersions: Number(rows[0]?.old_versions ?? 0), versionBytes: Number(rows[0]?.version_bytes ?? 0) };
}

/** A file the caller may read (its own, or granted to this partner), outside the trash. */
export async function findReadable(db: Kysely<Database>, caller: Caller, fileId: string): Promise<FileRow | undefined> {
  const row = await db.selectFrom('files.files').selectAll().where('file_id', '=', fileId).where('status', '=', 'active').executeTakeFirst();
  return readableBy(db, caller, row);
}

/** The row if the caller may read that file: its own, a partner's grant, or a share (access.ts). */
export async function readableBy(db: Kysely<Database>, caller: Caller, row: FileRow | undefined): Promise<FileRow | undefined> {
  if (!row) return undefined;
  return (await fileAccess(db, caller, row, 'read')) ? row : undefined;
}

/** The caller's trash, most recently deleted first, by keyset on (trashed_at, id). */
export async function listTrash(db: Kysely<Database>, ownerId: string, page: { limit: number; cursor?: string | undefined }, retentionDays: number) {
  let q = db.selectFrom('files.files').selectAll().where('owner_id', '=', ownerId).where('status', '=', 'trashed');
  if (page.cursor) {
    const [at, id] = decodeTrashCursor(page.cursor);
    q = q.where(sql<boolean>`(trashed_at, file_id) < (${at}, ${id}::uuid)`);
  }
  const rows = await q.orderBy('trashed_at', 'desc').orderBy('file_id', 'desc').limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => ({
      ...toFileInfo(row),
      trashedAt: row.trashed_at!.toISOString(),
      purgeAt: new Date(row.trashed_at!.getTime() + retentionDays * DAY_MS).toISOString(),
    })),
    nextCursor: rows.length > page.limit && last ? encodeTrashCursor(last.trashed_at!, last.file_id) : null,
  };
}

export async function usedBytes(db: Kysely<Database>, ownerId: string): Promise<number> {
  const row = await db.selectFrom('files.usage').select('bytes').where('owner_id', '=', ownerId).executeTakeFirst();
  return Number(row?.bytes ?? 0);
}

/** The owner's usage counters and bytes by content type, as GET /usage shows them (reservations come from the quota). */
export async function usageOf(db: Kysely<Database>, ownerId: string) {
  const [usage, byType] = await Promise.all([
    db.selectFrom('files.usage').selectAll().where('owner_id', '=', ownerId).executeTakeFirst(),
    db.selectFrom('files.usage_by_type').selectAll().where('owner_id', '=', ownerId).where('versions', '>', 0).orderBy('bytes', 'desc').execute(),
  ]);
  return {
    bytes: Number(usage?.bytes ?? 0),
    files: usage?.files ?? 0,
    versions: usage?.versions ?? 0,
    byContentType: byType.map((t) => ({ contentType: t.content_type, bytes: Number(t.bytes), versions: t.versions })),
  };
}
