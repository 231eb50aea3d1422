import { type Kysely, sql } from 'kysely';
import type { Caller } from './caller.js';
import type { Database, FileRow } from './db/schema.js';
import type { ShareRole } from './domain/share/share.js';
import { type FolderView, liveFolder } from './projections/folder-queries.js';

/*
 * Who may do what to an item, written once. An item is its owner's; beside the owner:
 *
 * - a partner client reads a file granted to it (`grants`);
 * - a user reads an item shared with them (`shares`), or anything inside a folder shared with
 *   them, at any depth; an `editor` share also lets them write it (add versions, rename, trash:
 *   to the owner's trash). The nearest share is not the only one: the strongest role of every
 *   share on the item or a folder above it wins.
 *
 * A write through a share is done as the owner's (the command names the owner, so quota, trash
 * and the trail are the owner's) with the caller as the events' actor. Anything else is "not
 * found", exactly as someone else's item always was.
 */

export type Need = 'read' | 'write';

export interface Access {
  /** The item's owner: whose command it is, whose quota and trash. */
  ownerId: string;
  /** `owner`, or the role a share gives, or `grant` for a partner. */
  via: 'owner' | 'grant' | ShareRole;
  /** The shared folders (the item itself, or above it) that give access; empty for the owner. */
  sharedRoots: string[];
}

const allows = (role: ShareRole, need: Need) => need === 'read' || role === 'editor';

/**
 * The shares a user holds on a file (`fileId`) or on any folder from `folderId` up to the root:
 * the strongest role and the shared folders. The walk up is one recursive query over the tree's
 * read model (at most FOLDER_MAX_DEPTH rows).
 */
export async function sharesReaching(db: Kysely<Database>, userId: string, target: { fileId?: string; folderId: string | null }): Promise<{ role: ShareRole; roots: string[] } | undefined> {
  const { rows } = await sql<{ kind: 'file' | 'folder'; item_id: string; role: ShareRole }>`
    with recursive chain(folder_id, parent_id) as (
      select folder_id, parent_id from files.folders where folder_id = ${target.folderId}
      union
      select f.folder_id, f.parent_id from files.folders f join chain c on f.folder_id = c.parent_id
    )
    select kind, item_id, role from files.shares
    where recipient_id = ${userId}
      and ((kind = 'file' and item_id = ${target.fileId ?? null}::uuid) or (kind = 'folder' and item_id in (select folder_id from chain)))`.execute(db);
  if (rows.length === 0) return undefined;
  return { role: rows.some((r) => r.role === 'editor') ? 'editor' : 'viewer', roots: rows.filter((r) => r.kind === 'folder').map((r) => r.item_id) };
}

/** What the caller may do with this (live) file row: undefined when `need` is not allowed. */
export async function fileAccess(db: Kysely<Database>, caller: Caller, row: FileRow, need: Need): Promise<Access | undefined> {
  if (row.owner_id === caller.ownerId) return { ownerId: row.owner_id, via: 'owner', sharedRoots: [] };
  if (caller.kind === 'partner') {
    if (need !== 'read') return undefined;
    const grant = await db.selectFrom('files.grants').select('client_id').where('file_id', '=', row.file_id).where('client_id', '=', caller.clientId!).executeTakeFirst();
    return grant ? { ownerId: row.owner_id, via: 'grant', sharedRoots: [] } : undefined;
  }
  const shared = await sharesReaching(db, caller.ownerId, { fileId: row.file_id, folderId: row.folder_id });
  return shared && allows(shared.role, need) ? { ownerId: row.owner_id, via: shared.role, sharedRoots: shared.roots } : undefined;
}

/** A live file the caller may `need`, with the access; undefined (a 404 to the caller) otherwise. */
export async function accessibleFile(db: Kysely<Database>, caller: Caller, fileId: string, need: Need): Promise<{ row: FileRow; access: Access } | undefined> {
  const row = await db.selectFrom('files.files').selectAll().where('file_id', '=', fileId).where('status', '=', 'active').executeTakeFirst();
  const access = row && (await fileAccess(db, caller, row, need));
  return row && access ? { row, access } : undefined;
}

/** A live folder the caller may `need`, with the access; undefined (a 404 to the caller) otherwise. */
export async function accessibleFolder(db: Kysely<Database>, caller: Caller, folderId: string, need: Need): Promise<{ folder: FolderView; access: Access } | undefined> {
  const own = await liveFolder(db, caller.ownerId, folderId);
  if (own) return { folder: own, access: { ownerId: own.owner_id, via: 'owner', sharedRoots: [] } };
  if (caller.kind !== 'user') return undefined;
  const shared = await sharesReaching(db, caller.ownerId, { folderId });
  if (!shared || !allows(shared.role, need)) return undefined;
  const row = await db.selectFrom('files.folders').select('owner_id').where('folder_id', '=', folderId).executeTakeFirst();
  const folder = row && (await liveFolder(db, row.owner_id, folderId));
  return folder ? { folder, access: { ownerId: folder.owner_id, via: shared.role, sharedRoots: shared.roots } } : undefined;
}

/** Breadcrumbs a recipient may see: from the shared folder down, never the owner's folders above it. */
export function visibleCrumbs<T extends { id: string }>(crumbs: T[], access: Access): T[] {
  if (access.via === 'owner' || access.via === 'grant') return crumbs;
  const from = crumbs.findIndex((c) => access.sharedRoots.includes(c.id));
  return from < 0 ? [] : crumbs.slice(from);
}

/**
 * Every user an item is shared with now, directly or through a folder above it: who hears of its
 * events on the live stream besides the owner. A file or folder no longer in the tree (purged)
 * has none.
 */
export async function audienceOf(db: Kysely<Database>, target: { fileId: string } | { folderId: string }): Promise<string[]> {
  const start =
    'fileId' in target
      ? sql`select folder_id from files.files where file_id = ${target.fileId}`
      : sql`select ${target.folderId}::uuid as folder_id`;
  const { rows } = await sql<{ recipient_id: string }>`
    with recursive chain(folder_id, parent_id) as (
      select folder_id, parent_id from files.folders where folder_id = (${start})
      union
      select f.folder_id, f.parent_id from files.folders f join chain c on f.folder_id = c.parent_id
    )
    select distinct recipient_id from files.shares
    where (kind = 'file' and item_id = ${'fileId' in target ? target.fileId : null}::uuid)
       or (kind = 'folder' and item_id in (select folder_id from chain))`.execute(db);
  return rows.map((r) => r.recipient_id);
}
