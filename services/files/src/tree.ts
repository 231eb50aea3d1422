import { randomUUID } from 'node:crypto';
import { FileEventTypes } from '@strata/contracts';
import type { EventMetadata } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import { type Transaction, sql } from 'kysely';
import type { Config } from './config.js';
import type { Database, FileRow, FolderRow } from './db/schema.js';
import { FileNotFoundError, FileNotInTrashError } from './domain/file/decide.js';
import { freeName, nameKey, validateFileName } from './domain/file/names.js';
import { FolderOperationPendingError, type Place, type TreeLimits, FolderNotFoundError, FolderNotInTrashError } from './domain/folder/place.js';
import { NotThenError } from './domain/history.js';
import { filesAt, folderTableAt } from './projections/as-of.js';
import { deleteBlob, forgetSharing } from './purge.js';

type Trx = Transaction<Database>;
type Kind = 'file' | 'folder';

/** What to do when a restored entry's name is taken where it goes back to. */
export type ClashPolicy = 'keep-both' | 'replace';

export const limitsOf = (config: Config): TreeLimits => ({ maxDepth: config.FOLDER_MAX_DEPTH, maxEntries: config.FOLDER_MAX_ENTRIES });

/**
 * Every change that puts a name in a folder, or takes a folder apart, runs under the owner's tree
 * lock, in the transaction that appends its events: the names a decision is based on cannot
 * change before it commits. Taken before the quota lock wherever both are held.
 */
export async function inTree<T>(app: FastifyInstance, ownerId: string, work: (trx: Trx) => Promise<T>): Promise<T> {
  return app.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('strata.files.tree'), hashtext(${ownerId}))`.execute(trx);
    return work(trx);
  });
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
const inParent = <T extends 'parent_id' | 'folder_id'>(column: T, parentId: string | null) =>
  parentId === null ? sql<boolean>`${sql.ref(column)} is null` : sql<boolean>`${sql.ref(column)} = ${parentId}::uuid`;

/**
 * The name keys in a folder that a name may clash with: its own and its "(n)" variants', files
 * and folders alike (a file and a folder cannot share a name either). `except` is the entry
 * itself (a rename to another case of its own name is no clash).
 */
export async function takenKeys(trx: Trx, ownerId: string, parentId: string | null, name: string, kind: Kind, except?: string): Promise<string[]> {
  const key = nameKey(name);
  const dot = kind === 'file' ? name.lastIndexOf('.') : -1;
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const variants = `${escapeLike(nameKey(stem))} (%)${escapeLike(nameKey(ext))}`;
  const { rows } = await sql<{ name_key: string }>`
    select name_key from files.folders
     where owner_id = ${ownerId} and status = 'active' and ${inParent('parent_id', parentId)}
       and (name_key = ${key} or name_key like ${variants}) and folder_id is distinct from ${except ?? null}::uuid
    union
    select name_key from files.files
     where owner_id = ${ownerId} and status = 'active' and ${inParent('folder_id', parentId)}
       and (name_key = ${key} or name_key like ${variants}) and file_id is distinct from ${except ?? null}::uuid`.execute(trx);
  return rows.map((r) => r.name_key);
}

/** The folder and its ancestors up to the root, the folder first (empty for the root). */
export async function chainOf(trx: Trx, folderId: string): Promise<Pick<FolderRow, 'folder_id' | 'owner_id' | 'name' | 'parent_id' | 'status'>[]> {
  const { rows } = await sql<Pick<FolderRow, 'folder_id' | 'owner_id' | 'name' | 'parent_id' | 'status'>>`
    with recursive up as (
      select folder_id, owner_id, name, parent_id, status, 1 as depth from files.folders where folder_id = ${folderId}::uuid
      union all
      select f.folder_id, f.owner_id, f.name, f.parent_id, f.status, up.depth + 1 from files.folders f join up on f.folder_id = up.parent_id where up.depth < 1000
    )
    select folder_id, owner_id, name, parent_id, status from up order by depth`.execute(trx);
  return rows;
}

/** Where an entry named `name` would land in `parentId`, as the deciders take it. */
export async function placeOf(trx: Trx, ownerId: string, parentId: string | null, name: string, kind: Kind, except?: string): Promise<Place> {
  const taken = await takenKeys(trx, ownerId, parentId, name, kind, except);
  if (parentId === null) return { parentId, parentLive: true, parentDepth: 0, chain: [], entries: 0, taken };
  const chain = await chainOf(trx, parentId);
  const parent = chain[0];
  const parentLive = parent !== undefined && parent.owner_id === ownerId && parent.status === 'active';
  if (!parentLive) return { parentId, parentLive, parentDepth: 0, chain: [], entries: 0, taken: [] };
  const { rows } = await sql<{ n: string }>`
    select (select count(*) from files.folders where owner_id = ${ownerId} and parent_id = ${parentId}::uuid and status = 'active')
         + (select count(*) from files.files where owner_id = ${ownerId} and folder_id = ${parentId}::uuid and status = 'active') as n`.execute(trx);
  return { parentId, parentLive, parentDepth: chain.length, chain: chain.map((f) => f.folder_id), entries: Number(rows[0]?.n ?? 0), taken };
}

/** The live folders below a folder (not itself), each with its level below it (1: a child). */
export async function descendants(trx: Trx, folderId: string): Promise<{ folder_id: string; level: number }[]> {
  const { rows } = await sql<{ folder_id: string; level: number }>`
    with recursive down as (
      select folder_id, 0 as level from files.folders where folder_id = ${folderId}::uuid
      union all
      select f.folder_id, down.level + 1 from files.folders f join down on f.parent_id = down.folder_id where f.status = 'active' and down.level < 1000
    )
    select folder_id, level from down where level > 0 order by level`.execute(trx);
  return rows;
}

export async function ownFolder(trx: Trx, ownerId: string, folderId: string): Promise<FolderRow> {
  const row = await trx.selectFrom('files.folders').selectAll().where('folder_id', '=', folderId).where('owner_id', '=', ownerId).executeTakeFirst();
  if (!row) throw new FolderNotFoundError();
  return row;
}

async function ownFile(trx: Trx, ownerId: string, fileId: string): Promise<FileRow> {
  const row = await trx.selectFrom('files.files').selectAll().where('file_id', '=', fileId).where('owner_id', '=', ownerId).executeTakeFirst();
  if (!row) throw new FileNotFoundError();
  return row;
}

export interface RestoreToResult {
  changed: number;
  trashed: number;
  notRestored: { kind: 'file' | 'folder'; id: string; name: string; reason: 'purged' }[];
}

/** An entry of the tree as it was at a moment: its name, parent (folder, for a file), state then, and depth below the folder asked for. */
interface EntryThen {
  kind: Kind;
  id: string;
  name: string;
  parentId: string | null;
  status: string;
  depth: number;
}

/**
 * A folder and everything that was inside it at `asOf` (in the trash then or not; not what had
 * been purged by then), read from the history under the tree lock.
 */
async function treeThen(trx: Trx, ownerId: string, folderId: string, asOf: Date): Promise<{ folders: Map<string, EntryThen>; files: Map<string, EntryThen> }> {
  const history = folderTableAt(asOf);
  const { rows } = await sql<{ folder_id: string; name: string; parent_id: string | null; status: string; depth: number }>`
    with recursive down as (
      select folder_id, name, parent_id, status, 0 as depth from ${history} h where folder_id = ${folderId}::uuid and owner_id = ${ownerId}
      union all
      select h.folder_id, h.name, h.parent_id, h.status, down.depth + 1 from ${history} h join down on h.parent_id = down.folder_id
       where h.owner_id = ${ownerId} and down.depth < 1000
    )
    select folder_id, name, parent_id, status, depth from down`.execute(trx);
  const folders = new Map(rows.map((r) => [r.folder_id, { kind: 'folder' as const, id: r.folder_id, name: r.name, parentId: r.parent_id, status: r.status, depth: r.depth }]));
  const files =
    rows.length === 0
      ? []
      : await filesAt(trx, asOf)
          .select(['file_id', 'name', 'folder_id', 'status'])
          .where('owner_id', '=', ownerId)
          .where('folder_id', 'in', [...folders.keys()])
          .where('status', 'in', ['active', 'trashed'])
          .execute();
  return { folders, files: new Map(files.map((f) => [f.file_id, { kind: 'file' as const, id: f.file_id, name: f.name, parentId: f.folder_id, status: f.status, depth: Infinity }])) };
}

export interface TreeRequest {
  ownerId: string;
  metadata: EventMetadata;
  now: Date;
}

/** The folder operations: each one transaction under the owner's tree lock, every change an event. */
export function treeOf(app: FastifyInstance, config: Config) {
  const limits = limitsOf(config);

  async function createFolder(req: TreeRequest, raw: string, parentId: string | null): Promise<string> {
    // checked before any query: a name Postgres cannot hold (a NUL) is the client's 422, not a 500
    const name = validateFileName(raw);
    const folderId = randomUUID();
    await inTree(app, req.ownerId, async (trx) => {
      const place = await placeOf(trx, req.ownerId, parentId, name, 'folder');
      await app.folderCommands.handle(folderId, { type: 'CreateFolder', data: { folderId, ownerId: req.ownerId, name, place, limits, now: req.now } }, { transaction: trx, metadata: req.metadata, occurredAt: req.now });
    });
    return folderId;
  }

  /** PATCH: a new name, a new parent, or both, as one command (the name it arrives with is checked where it goes). */
  async function updateFolder(req: TreeRequest, folderId: string, change: { name?: string | undefined; parentId?: string | null | undefined }, ifMatch?: number) {
    if (change.name !== undefined) change = { ...change, name: validateFileName(change.name) };
    await inTree(app, req.ownerId, async (trx) => {
      const folder = await ownFolder(trx, req.ownerId, folderId);
      const parentId = change.parentId === undefined ? folder.parent_id : change.parentId;
      const name = change.name ?? folder.name;
      const place = await placeOf(trx, req.ownerId, parentId, name, 'folder', folderId);
      const height = parentId === folder.parent_id ? 0 : (await descendants(trx, folderId)).reduce((h, d) => Math.max(h, d.level), 0);
      await app.folderCommands.handle(
        folderId,
        { type: 'MoveFolder', data: { ownerId: req.ownerId, place, height, limits, now: req.now, ...(change.name !== undefined ? { name: change.name } : {}) } },
        { transaction: trx, metadata: req.metadata, occurredAt: req.now, ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}) },
      );
    });
  }

  /** PATCH of a file: a new name, a new folder, or both, as one command. */
  async function updateFile(req: TreeRequest, fileId: string, change: { name?: string | undefined; folderId?: string | null | undefined }, ifMatch?: number) {
    if (change.name !== undefined) change = { ...change, name: validateFileName(change.name) };
    await inTree(app, req.ownerId, async (trx) => {
      const file = await ownFile(trx, req.ownerId, fileId);
      if (file.status !== 'active') throw new FileNotFoundError();
      const folderId = change.folderId === undefined ? file.folder_id : change.folderId;
      const place = await placeOf(trx, req.ownerId, folderId, change.name ?? file.name, 'file', fileId);
      await app.commands.handle(
        fileId,
        { type: 'MoveFile', data: { ownerId: req.ownerId, place, limits, now: req.now, ...(change.name !== undefined ? { name: change.name } : {}) } },
        { transaction: trx, metadata: req.metadata, occurredAt: req.now, ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}) },
      );
    });
  }

  /**
   * To the trash with everything inside, in the caller's transaction: only for a folder that a
   * restore replacing it takes out of the way. A folder the user trashes goes in batches
   * (`src/folder-operations.ts`).
   */
  async function trashFolder(trx: Trx, req: TreeRequest, folderId: string): Promise<number> {
    const folder = await ownFolder(trx, req.ownerId, folderId);
    if (folder.status !== 'active') throw new FolderNotFoundError();
    const below = await descendants(trx, folderId);
    const folderIds = [folderId, ...below.map((d) => d.folder_id)];
    const files = await trx.selectFrom('files.files').select('file_id').where('folder_id', 'in', folderIds).where('status', '=', 'active').where('owner_id', '=', req.ownerId).execute();
    const options = { transaction: trx, metadata: req.metadata, occurredAt: req.now };
    for (const f of files) await app.commands.handle(f.file_id, { type: 'TrashFile', data: { ownerId: req.ownerId, withFolderId: folderId, now: req.now } }, options);
    for (const d of below.reverse()) await app.folderCommands.handle(d.folder_id, { type: 'TrashFolder', data: { ownerId: req.ownerId, withFolderId: folderId, now: req.now } }, options);
    await app.folderCommands.handle(folderId, { type: 'TrashFolder', data: { ownerId: req.ownerId, now: req.now } }, options);
    return files.length;
  }

  /**
   * The trashed folders above an entry, restored alone (not what else they held) from the top
   * down, so that the entry goes back to its own place; a name taken meanwhile keeps both.
   */
  async function recreateParents(trx: Trx, req: TreeRequest, parentId: string | null): Promise<void> {
    if (parentId === null) return;
    const chain = await chainOf(trx, parentId);
    const missing: typeof chain = [];
    for (const f of chain) {
      if (f.owner_id !== req.ownerId) throw new FolderNotFoundError();
      if (f.status === 'active') break;
      missing.push(f);
    }
    for (const f of missing.reverse()) {
      const taken = await takenKeys(trx, req.ownerId, f.parent_id, f.name, 'folder', f.folder_id);
      const rename = taken.includes(nameKey(f.name)) ? freeName(f.name, new Set(taken), 'folder') : undefined;
      await app.folderCommands.handle(
        f.folder_id,
        { type: 'RestoreFolder', data: { ownerId: req.ownerId, taken, ...(rename ? { rename } : {}), now: req.now } },
        { transaction: trx, metadata: req.metadata, occurredAt: req.now },
      );
    }
  }

  /** What holds the name `name` in a folder now: the entry a restore that replaces takes the place of. */
  async function holderOf(trx: Trx, ownerId: string, parentId: string | null, name: string, except: string): Promise<{ kind: Kind; id: string } | undefined> {
    const key = nameKey(name);
    const folder = await trx
      .selectFrom('files.folders')
      .select('folder_id')
      .where('owner_id', '=', ownerId)
      .where('status', '=', 'active')
      .where(inParent('parent_id', parentId))
      .where('name_key', '=', key)
      .where('folder_id', '!=', except)
      .executeTakeFirst();
    if (folder) return { kind: 'folder', id: folder.folder_id };
    const file = await trx
      .selectFrom('files.files')
      .select('file_id')
      .where('owner_id', '=', ownerId)
      .where('status', '=', 'active')
      .where(inParent('folder_id', parentId))
      .where('name_key', '=', key)
      .where('file_id', '!=', except)
      .orderBy('updated_at', 'desc')
      .executeTakeFirst();
    return file ? { kind: 'file', id: file.file_id } : undefined;
  }

  /**
   * Under the tree lock: no folder trash or restore in batches is under way in the owner's drive
   * (src/folder-operations.ts; callers settle those first, so this only meets one begun since).
   */
  async function nothingPending(trx: Trx, ownerId: string): Promise<void> {
    const pending = await trx.selectFrom('files.folder_operations').select('folder_id').where('owner_id', '=', ownerId).limit(1).executeTakeFirst();
    if (pending) throw new FolderOperationPendingError();
  }

  /** Takes the clashing entry out of the way of a restore that replaces it: to the trash. */
  async function trashHolder(trx: Trx, req: TreeRequest, holder: { kind: Kind; id: string }): Promise<void> {
    if (holder.kind === 'folder') await trashFolder(trx, req, holder.id);
    else await app.commands.handle(holder.id, { type: 'TrashFile', data: { ownerId: req.ownerId, now: req.now } }, { transaction: trx, metadata: req.metadata, occurredAt: req.now });
  }

  /**
   * The first step of a folder's restore: the folder itself out of the trash, back where it was
   * (missing parents restored), under a free name if `keep-both` needs one. What went to the
   * trash with it comes back in batches after this (`src/folder-operations.ts`): nothing could be
   * put inside it while it was in the trash, so those come back without clashes.
   */
  async function restoreFolderItself(trx: Trx, req: TreeRequest, folderId: string, policy: ClashPolicy): Promise<void> {
    const folder = await ownFolder(trx, req.ownerId, folderId);
    if (folder.status !== 'trashed') throw new FolderNotInTrashError();
    await recreateParents(trx, req, folder.parent_id);
    let taken = await takenKeys(trx, req.ownerId, folder.parent_id, folder.name, 'folder', folderId);
    let rename: string | undefined;
    if (taken.includes(nameKey(folder.name))) {
      if (policy === 'replace') {
        const holder = await holderOf(trx, req.ownerId, folder.parent_id, folder.name, folderId);
        if (holder) await trashHolder(trx, req, holder);
        taken = await takenKeys(trx, req.ownerId, folder.parent_id, folder.name, 'folder', folderId);
      } else {
        rename = freeName(folder.name, new Set(taken), 'folder');
      }
    }
    await app.folderCommands.handle(folderId, { type: 'RestoreFolder', data: { ownerId: req.ownerId, taken, ...(rename ? { rename } : {}), now: req.now } }, { transaction: trx, metadata: req.metadata, occurredAt: req.now });
  }

  /**
   * A file out of the trash, back in its folder (missing parents restored). A name taken there
   * meanwhile: `keep-both` names it "name (2).ext"; `replace` makes its content a new version of
   * the file that holds the name (its latest blob is handed on, not copied; the rest of it is
   * purged), or trashes a folder that holds it. Returns the id of the file that now holds it.
   */
  async function restoreFile(req: TreeRequest, fileId: string, policy: ClashPolicy): Promise<string> {
    const purgedBlobs: string[] = [];
    const result = await inTree(app, req.ownerId, async (trx) => {
      // a replace may trash a folder in one go: never one whose batches are under way
      await nothingPending(trx, req.ownerId);
      const file = await ownFile(trx, req.ownerId, fileId);
      if (file.status !== 'trashed') throw new FileNotInTrashError();
      await recreateParents(trx, req, file.folder_id);
      const options = { transaction: trx, metadata: req.metadata, occurredAt: req.now };
      let taken = await takenKeys(trx, req.ownerId, file.folder_id, file.name, 'file', fileId);
      if (!taken.includes(nameKey(file.name))) {
        await app.commands.handle(fileId, { type: 'RestoreFile', data: { ownerId: req.ownerId, taken, now: req.now } }, options);
        return fileId;
      }
      if (policy === 'keep-both') {
        const rename = freeName(file.name, new Set(taken), 'file');
        await app.commands.handle(fileId, { type: 'RestoreFile', data: { ownerId: req.ownerId, taken, rename, now: req.now } }, options);
        return fileId;
      }
      const holder = await holderOf(trx, req.ownerId, file.folder_id, file.name, fileId);
      if (holder?.kind === 'file') {
        const latest = await trx.selectFrom('files.versions').selectAll().where('file_id', '=', fileId).orderBy('version', 'desc').executeTakeFirstOrThrow();
        const purged = await app.commands.handle(fileId, { type: 'PurgeFile', data: { ownerId: req.ownerId, reason: 'replaced', keep: latest.blob_name, now: req.now } }, options);
        for (const e of purged.events) if (e.type === FileEventTypes.FilePurged) purgedBlobs.push(...e.data.blobNames);
        await forgetSharing(app, trx, fileId, req.metadata);
        const content = { versionId: randomUUID(), blobName: latest.blob_name, size: Number(latest.size), contentType: latest.content_type, sha256: latest.sha256 };
        await app.commands.handle(holder.id, { type: 'AddVersion', data: { ownerId: req.ownerId, content, now: req.now } }, options);
        return holder.id;
      }
      if (holder) await trashHolder(trx, req, holder);
      taken = await takenKeys(trx, req.ownerId, file.folder_id, file.name, 'file', fileId);
      await app.commands.handle(fileId, { type: 'RestoreFile', data: { ownerId: req.ownerId, taken, now: req.now } }, options);
      return fileId;
    });
    // after the commit, as a purge does: a blob whose delete fails is swept as an orphan
    for (const blobName of purgedBlobs) await deleteBlob(app, blobName);
    return result;
  }

  /**
   * A folder back to how it was at `asOf`, as one transaction: everything that was inside it then
   * gets its name, place and trash state of then; what is inside now and was not then goes to the
   * trash (a folder with what it holds). The folder itself keeps its place and gets its name of
   * then (keeping both on a clash there), out of the trash if it is in it. Content stays as it is
   * now (versions are not rewound). Files purged since cannot come back: they are reported.
   * Each entry's move is decided on the tree as it will be at the end (names of then are unique
   * there), so swaps of names or places need no stop in between.
   */
  async function restoreTo(req: TreeRequest, folderId: string, asOf: Date): Promise<RestoreToResult> {
    return inTree(app, req.ownerId, async (trx) => {
      await nothingPending(trx, req.ownerId);
      const folder = await ownFolder(trx, req.ownerId, folderId);
      const then = await treeThen(trx, req.ownerId, folderId, asOf);
      const top = then.folders.get(folderId);
      if (!top || top.status !== 'active') throw new NotThenError();
      const options = { transaction: trx, metadata: req.metadata, occurredAt: req.now };
      let changed = 0;

      // the folder itself: where it is now, under its name of then
      if (folder.status === 'trashed') await recreateParents(trx, req, folder.parent_id);
      const taken = await takenKeys(trx, req.ownerId, folder.parent_id, top.name, 'folder', folderId);
      const name = taken.includes(nameKey(top.name)) ? freeName(top.name, new Set(taken), 'folder') : top.name;
      const here = await placeOf(trx, req.ownerId, folder.parent_id, name, 'folder', folderId);
      const self = await app.folderCommands.handle(
        folderId,
        { type: 'RewindFolder', data: { ownerId: req.ownerId, to: { name, parentId: folder.parent_id }, place: here, height: 0, limits, now: req.now } },
        options,
      );
      if (self.events.length > 0) changed++;

      // the tree as it will be: the live entries of then, below the folder where it is now
      const above = (await chainOf(trx, folderId)).map((f) => f.folder_id);
      const live = (id: string | null): boolean => id !== null && (id === folderId || (then.folders.get(id)?.status === 'active' && live(then.folders.get(id)!.parentId)));
      const chain = (id: string): string[] => (id === folderId ? above : [id, ...chain(then.folders.get(id)!.parentId!)]);
      const siblings = new Map<string, { id: string; key: string }[]>();
      const entries = [...[...then.folders.values()].filter((f) => f.id !== folderId), ...then.files.values()];
      for (const e of entries) if (e.status === 'active' && live(e.parentId)) siblings.set(e.parentId!, [...(siblings.get(e.parentId!) ?? []), { id: e.id, key: nameKey(e.name) }]);
      const placeThen = (id: string, parentId: string): Place => {
        const others = (siblings.get(parentId) ?? []).filter((s) => s.id !== id);
        const c = chain(parentId);
        return { parentId, parentLive: true, parentDepth: c.length, chain: c, entries: others.length, taken: others.map((s) => s.key) };
      };
      const heightThen = (id: string): number => Math.max(0, ...[...then.folders.values()].filter((f) => f.parentId === id && f.status === 'active').map((f) => 1 + heightThen(f.id)));

      const nowFolders = new Set((await trx.selectFrom('files.folders').select('folder_id').where('owner_id', '=', req.ownerId).where('folder_id', 'in', [...then.folders.keys()]).execute()).map((r) => r.folder_id));
      const fileIds = [...then.files.keys()];
      const nowFiles = new Set(fileIds.length === 0 ? [] : (await trx.selectFrom('files.files').select('file_id').where('owner_id', '=', req.ownerId).where('file_id', 'in', fileIds).execute()).map((r) => r.file_id));
      const notRestored: RestoreToResult['notRestored'] = [];

      // folders from the top down, so that each goes into a parent already in its place; then files
      const restoring = entries.filter((e) => e.status === 'active' && live(e.parentId));
      for (const f of restoring.filter((e) => e.kind === 'folder').sort((a, b) => a.depth - b.depth)) {
        if (!nowFolders.has(f.id)) continue;
        const to = { name: f.name, parentId: f.parentId };
        const done = await app.folderCommands.handle(
          f.id,
          { type: 'RewindFolder', data: { ownerId: req.ownerId, to, place: placeThen(f.id, f.parentId!), height: heightThen(f.id), limits, now: req.now } },
          options,
        );
        if (done.events.length > 0) changed++;
      }
      for (const f of restoring.filter((e) => e.kind === 'file')) {
        if (!nowFiles.has(f.id)) {
          notRestored.push({ kind: 'file', id: f.id, name: f.name, reason: 'purged' });
          continue;
        }
        const to = { name: f.name, folderId: f.parentId };
        const done = await app.commands.handle(f.id, { type: 'RewindFile', data: { ownerId: req.ownerId, to, place: placeThen(f.id, f.parentId!), limits, now: req.now } }, options);
        if (done.events.length > 0) changed++;
      }

      // what is inside now and was not (or was in the trash then): to the trash, a folder with what it holds
      const kept = new Set([folderId, ...restoring.map((e) => e.id)]);
      let trashed = 0;
      const below = await descendants(trx, folderId);
      const parents = new Map(
        below.length === 0
          ? []
          : (await trx.selectFrom('files.folders').select(['folder_id', 'parent_id']).where('folder_id', 'in', below.map((d) => d.folder_id)).execute()).map((r) => [r.folder_id, r.parent_id]),
      );
      const gone = new Set<string>();
      for (const d of below) {
        const parent = parents.get(d.folder_id) ?? null;
        if (parent !== null && gone.has(parent)) gone.add(d.folder_id);
        else if (!kept.has(d.folder_id)) {
          await trashFolder(trx, req, d.folder_id);
          gone.add(d.folder_id);
          trashed++;
        }
      }
      const liveFolders = [folderId, ...below.map((d) => d.folder_id).filter((id) => !gone.has(id))];
      const extra = await trx.selectFrom('files.files').select('file_id').where('owner_id', '=', req.ownerId).where('status', '=', 'active').where('folder_id', 'in', liveFolders).execute();
      for (const f of extra) {
        if (kept.has(f.file_id)) continue;
        await app.commands.handle(f.file_id, { type: 'TrashFile', data: { ownerId: req.ownerId, now: req.now } }, options);
        trashed++;
      }
      return { changed, trashed, notRestored };
    });
  }

  /** Where an upload lands, under the tree lock of the transaction that stores it. */
  async function uploadPlace(trx: Trx, ownerId: string, folderId: string | null, name: string): Promise<Place> {
    await sql`select pg_advisory_xact_lock(hashtext('strata.files.tree'), hashtext(${ownerId}))`.execute(trx);
    return placeOf(trx, ownerId, folderId, name, 'file');
  }

  return { limits, createFolder, updateFolder, updateFile, restoreFolderItself, restoreFile, restoreTo, uploadPlace };
}

