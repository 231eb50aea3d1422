import type { EventStore } from '@strata/event-store';
import { AppError } from '@strata/service-kit';
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Caller } from '../caller.js';
import type { Database, FileRow } from '../db/schema.js';
import { type FileEvent, fileStream } from '../domain/file/file.js';
import { versionsAsOf } from '../domain/history.js';
import { fileAccess } from '../access.js';

/*
 * The drive as of a moment, read from the history read models (`history.ts`): the rows whose
 * state held then (valid_from <= T < valid_to), shaped as the live tables' rows, so that every
 * listing (files, a folder's children, breadcrumbs) runs the same query on either. Without a
 * moment: the live tables themselves.
 */

type Files = SelectQueryBuilder<Database, 'files.files', object>;
type Folders = SelectQueryBuilder<Database, 'files.folders', object>;

/**
 * The files as they were at `asOf` (every status, `purged` included: callers filter), or now.
 * The history's star is whether, not since when: `starred_at` is the moment the state began.
 */
export function filesAt(db: Kysely<Database>, asOf?: Date): Files {
  if (asOf === undefined) return db.selectFrom('files.files');
  const rows = db
    .selectFrom('files.file_history')
    .select([
      'file_id',
      'owner_id',
      'name',
      'size',
      'content_type',
      'sha256',
      'version',
      'revision',
      'status',
      'tier',
      'created_at',
      'updated_at',
      'trashed_at',
      'rehydrating_since',
      sql<Date | null>`null::timestamptz`.as('rehydrated_at'),
      'folder_id',
      'name_key',
      'trashed_with',
      sql<Date | null>`case when starred then valid_from end`.as('starred_at'),
    ])
    .where('valid_from', '<=', asOf)
    .where('valid_to', '>', asOf);
  // the same columns as files.files: the queries built on it read them by name alone
  return db.selectFrom(rows.as('files')) as unknown as Files;
}

/**
 * One page of a files listing (`page`: the query with its filters, order and limit, still
 * selecting nothing), now or as of a moment. As of a moment it is read in two steps: the page's
 * ids alone, which the history's sort-key indexes (migration 20261202T170000_history_sort_keys)
 * answer by an index-only scan in the sort order, the interval a filter on their entries, then
 * those ids' rows of then. Selecting every column at once would fetch from the table each state
 * the scan passes over before it finds the page's (most of them, recent first as of an early
 * moment: states begun later sort first and did not hold then).
 */
export async function pageOfFiles(db: Kysely<Database>, page: Files, asOf?: Date): Promise<FileRow[]> {
  if (asOf === undefined) return page.selectAll().execute();
  const ids = (await page.select('file_id').execute()).map((r) => r.file_id);
  if (ids.length === 0) return [];
  const rows = await filesAt(db, asOf).selectAll().where('file_id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.file_id, r]));
  // a past moment's states do not change; as of now, a command committed between the two steps
  // has its file's state of then still in the history (closed at its moment, or the new one)
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The folders as they were at `asOf`, or now. */
export function foldersAt(db: Kysely<Database>, asOf?: Date): Folders {
  if (asOf === undefined) return db.selectFrom('files.folders');
  const rows = db
    .selectFrom('files.folder_history')
    .select([
      'folder_id',
      'owner_id',
      'name',
      'name_key',
      'parent_id',
      'status',
      'revision',
      'created_at',
      'updated_at',
      'trashed_at',
      'trashed_with',
      sql<Date | null>`case when starred then valid_from end`.as('starred_at'),
    ])
    .where('valid_from', '<=', asOf)
    .where('valid_to', '>', asOf);
  return db.selectFrom(rows.as('folders')) as unknown as Folders;
}

/** The folders' table (or its past) as a FROM item of raw SQL. */
export const folderTableAt = (asOf?: Date) =>
  asOf === undefined
    ? sql`files.folders`
    : sql`(select folder_id, owner_id, name, parent_id, status from files.folder_history where valid_from <= ${asOf} and valid_to > ${asOf})`;

// RFC 3339 (section 5.6): a full date, "T" (or "t", or a space as its note allows), a time with
// seconds, an optional fraction, and an offset (Z or ±hh:mm). No date alone, no local time.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * `asOf` as the API takes it: an RFC 3339 timestamp (`2026-12-01T09:30:00Z`,
 * `2026-12-01T10:30:00.250+01:00`), read to the millisecond (the log's precision; finer digits
 * are dropped). A moment after `now` is now (a client's clock a little ahead still sees its
 * drive); one before the account existed shows it empty. Anything else is a 400 `invalid-as-of`.
 */
export function parseAsOf(value: string, now: Date): Date {
  const match = RFC3339.exec(value);
  const bad = (why: string) =>
    new AppError(400, 'invalid-as-of', 'Invalid asOf', `asOf must be an RFC 3339 timestamp with an offset, such as 2026-12-01T09:30:00Z: ${why}.`, { asOf: value.slice(0, 64) });
  if (!match) throw bad('this is not one');
  const [, year, month, day, hour, minute, second, , , offH, offM] = match.map((m) => (m === undefined ? undefined : m));
  const daysIn = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > daysIn) throw bad('no such date');
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) throw bad('no such time of day (nor a leap second)');
  if (offH !== undefined && (Number(offH) > 23 || Number(offM) > 59)) throw bad('no such offset');
  // Date's parser reads at most milliseconds: cut the fraction to three digits first
  const normalised = value.replace(/(\.\d{3})\d+/, '$1').replace(' ', 'T').toUpperCase();
  const ms = Date.parse(normalised);
  if (Number.isNaN(ms) || Number(year) < 1) throw bad('no such moment');
  return ms > now.getTime() ? now : new Date(ms);
}

/**
 * A file as it was at `asOf`, in the trash or not, if the caller may read it (its own; a partner:
 * one granted to it now); undefined when it did not exist yet or had been purged.
 */
export async function fileAsOf(db: Kysely<Database>, caller: Caller, fileId: string, asOf: Date): Promise<FileRow | undefined> {
  // a purged file's last state is `purged`: gone from then on
  const row = await filesAt(db, asOf).selectAll().where('file_id', '=', fileId).where('status', 'in', ['active', 'trashed']).executeTakeFirst();
  if (!row) return undefined;
  // the past is the owner's (and a partner's grant's, as before shares): a share reaches what is in
  // it now, never where the file was then (moved out since, trashed, in a folder never shared)
  const access = await fileAccess(db, caller, row, 'read');
  return access && (access.via === 'owner' || access.via === 'grant') ? row : undefined;
}

/**
 * A file's versions as they were at `asOf`, as GET /files/{id}/versions showed them then: a replay
 * of its stream up to that moment (`versionsAsOf`), not the history's rows, which keep only what
 * a listing shows of the latest version. One stream: a file's events are few.
 */
export async function fileVersionsAsOf(store: EventStore, fileId: string, asOf: Date) {
  const events = await store.readStream<FileEvent>(fileStream(fileId));
  return versionsAsOf(events, asOf).map((v) => ({
    version: v.version,
    size: v.size,
    contentType: v.contentType,
    sha256: v.sha256,
    createdAt: v.createdAt,
    tier: v.tier,
    label: v.label,
    restoredFrom: v.restoredFrom,
  }));
}
