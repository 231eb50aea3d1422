import { type Kysely, sql } from 'kysely';
import type { Database, FileRow } from '../db/schema.js';
import type { Caller } from '../caller.js';

type SortKey = 'name' | 'created_at' | 'updated_at' | 'size';
const SORT_COLUMNS: Record<string, SortKey> = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at', size: 'size' };

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
  };
}

const encodeCursor = (value: unknown, id: string) => Buffer.from(JSON.stringify([value, id])).toString('base64url');
function decodeCursor(cursor: string): [string | number, string] | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && (typeof parsed[0] === 'string' || typeof parsed[0] === 'number') && typeof parsed[1] === 'string') {
      if (!/^[0-9a-f-]{36}$/.test(parsed[1])) return undefined;
      return [parsed[0], parsed[1]];
    }
  } catch {
    // fall through
  }
  return undefined;
}

export class BadCursorError extends Error {}

const escapeLike = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The caller's files, one page, by keyset on (sort key, id): each page is one index range scan
 * on (owner, sort key, id), however deep the page. A partner sees the files granted to it and its own.
 */
export async function listFiles(db: Kysely<Database>, caller: Caller, query: { limit: number; cursor?: string | undefined; q?: string | undefined; sort: string }) {
  const desc = query.sort.startsWith('-');
  const column = SORT_COLUMNS[query.sort.replace(/^-/, '')]!;
  let q = db.selectFrom('files.files').selectAll().where('status', '=', 'active');
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
    const decoded = decodeCursor(query.cursor);
    if (!decoded) throw new BadCursorError('invalid cursor');
    const [value, id] = decoded;
    const typed = column === 'created_at' || column === 'updated_at' ? sql`${String(value)}::timestamptz` : column === 'size' ? sql`${String(value)}::bigint` : sql`${String(value)}`;
    q = q.where(sql<boolean>`(${sql.ref(column)}, file_id) ${sql.raw(desc ? '<' : '>')} (${typed}, ${id}::uuid)`);
  }
  const direction = desc ? 'desc' : 'asc';
  const rows = await q.orderBy(column, direction).orderBy('file_id', direction).limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const cursorValue = (row: FileRow) => {
    const v = row[column];
    // timestamps keep microseconds in Postgres; a Date drops them, so ties are broken by id only
    return v instanceof Date ? v.toISOString() : v;
  };
  return { items: page.map(toFileInfo), nextCursor: rows.length > query.limit && last ? encodeCursor(cursorValue(last), last.file_id) : null };
}

/** A file the caller may read (its own, or granted to this partner), outside the trash. */
export async function findReadable(db: Kysely<Database>, caller: Caller, fileId: string): Promise<FileRow | undefined> {
  const row = await db.selectFrom('files.files').selectAll().where('file_id', '=', fileId).where('status', '=', 'active').executeTakeFirst();
  if (!row) return undefined;
  if (row.owner_id === caller.ownerId) return row;
  if (caller.kind === 'partner') {
    const grant = await db.selectFrom('files.grants').select('client_id').where('file_id', '=', fileId).where('client_id', '=', caller.clientId!).executeTakeFirst();
    if (grant) return row;
  }
  return undefined;
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
