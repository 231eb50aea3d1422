import { setTimeout as delay } from 'node:timers/promises';
import type { EventMetadata } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import { type Transaction, sql } from 'kysely';
import type { Config } from './config.js';
import type { Database, FolderOperationKind } from './db/schema.js';
import { FolderNotFoundError } from './domain/folder/place.js';
import { freeName, nameKey } from './domain/file/names.js';
import { type ClashPolicy, type TreeRequest, descendants, inTree, ownFolder, takenKeys, treeOf } from './tree.js';

type Trx = Transaction<Database>;

/**
 * A folder trashed or restored with everything inside, in batches: each batch is one short
 * transaction under the owner's tree lock that changes at most FOLDER_BATCH_SIZE files and
 * folders (an event each, as before). One transaction for a folder of thousands held back the
 * global log's horizon (`pg_snapshot_xmin` is the cluster's) for its whole length, so every
 * relay and log reader waited behind it.
 *
 * The operation's row in `files.folder_operations` is its progress record. It is written before
 * the first batch and deleted in the transaction of the last, so whatever moment a reader sees,
 * either the operation is over or the folder reads `pending: "trash" | "restore"`: a folder half
 * trashed or half restored is always marked so. Each batch reads what is left from the read
 * models under the lock, so it can be run again by anyone at any time: a process that dies
 * mid-way leaves a row that the jobs carry on (`resumeStale`), and so does the client's retry.
 *
 * Order: a trash takes the files first, then the folders below, deepest first, then the folder
 * itself last (a reader never sees a live file in a trashed folder); a restore takes the folder
 * itself first (its place and name decided once, in the first transaction), then the folders
 * that went with it, then the files. Every event of an operation carries the time the user
 * asked (`requested_at`), the request's metadata, and the folder's id in `withFolderId`, exactly
 * as the single transaction wrote them.
 *
 * While an operation is pending the owner's other folder operations wait for it: a trash or
 * restore first finishes what is pending in the drive, then starts. Other changes go on beside
 * it: a file moved into the folder before the last batch goes to the trash with it, one moved
 * out stays; the last batch takes whatever is there when it runs.
 */
/** An entry a restore batch puts back: where it goes back to (`parent`) and its name. */
interface BatchEntry {
  id: string;
  parent: string | null;
  name: string;
  name_key: string;
}

/** A name's place in the drive, as one string: its folder (or the root) and its name key. */
const placed = (parent: string | null, key: string) => `${parent ?? 'root'}/${key}`;

/** The live entries of the owner's drive, files and folders, holding one of these name keys, by place. */
async function heldNames(trx: Trx, ownerId: string, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await sql<{ parent: string | null; name_key: string }>`
    select parent_id as parent, name_key from files.folders where owner_id = ${ownerId} and status = 'active' and name_key = any(${keys})
    union all
    select folder_id as parent, name_key from files.files where owner_id = ${ownerId} and status = 'active' and name_key = any(${keys})`.execute(trx);
  return new Set(rows.map((r) => placed(r.parent, r.name_key)));
}

export function folderOperationsOf(app: FastifyInstance, config: Config) {
  const tree = treeOf(app, config);
  const size = config.FOLDER_BATCH_SIZE;

  /** One batch of the folder's pending operation: 'done' once its row is gone. */
  async function step(ownerId: string, folderId: string): Promise<'more' | 'done'> {
    return inTree(app, ownerId, async (trx) => {
      const op = await trx.selectFrom('files.folder_operations').selectAll().where('folder_id', '=', folderId).forUpdate().executeTakeFirst();
      if (!op) return 'done';
      const req: TreeRequest = { ownerId, metadata: op.metadata as EventMetadata, now: op.requested_at };
      const changed = op.kind === 'trash' ? await trashBatch(trx, req, folderId) : await restoreBatch(trx, req, folderId);
      if (changed === 'last') {
        await trx.deleteFrom('files.folder_operations').where('folder_id', '=', folderId).execute();
        return 'done';
      }
      await trx
        .updateTable('files.folder_operations')
        .set({ done: sql`done + ${changed}`, touched_at: sql`now()` })
        .where('folder_id', '=', folderId)
        .execute();
      return 'more';
    });
  }

  async function trashBatch(trx: Trx, req: TreeRequest, folderId: string): Promise<number | 'last'> {
    // every batch's events at the moment the user asked: the past shows the whole operation or none of it
    const options = { transaction: trx, metadata: req.metadata, occurredAt: req.now };
    const data = { ownerId: req.ownerId, withFolderId: folderId, now: req.now };
    const below = await descendants(trx, folderId);
    const files = await trx
      .selectFrom('files.files')
      .select('file_id')
      .where('owner_id', '=', req.ownerId)
      .where('folder_id', 'in', [folderId, ...below.map((d) => d.folder_id)])
      .where('status', '=', 'active')
      .orderBy('file_id')
      .limit(size)
      .execute();
    for (const f of files) await app.commands.handle(f.file_id, { type: 'TrashFile', data }, options);
    if (files.length === size) return files.length;
    // no file left inside: the folders below, deepest first (their files went before them)
    const room = size - files.length;
    const deepestFirst = below.reverse();
    for (const d of deepestFirst.slice(0, room)) await app.folderCommands.handle(d.folder_id, { type: 'TrashFolder', data }, options);
    if (deepestFirst.length >= room) return files.length + room;
    // the folder itself last, unless something else took it out of the drive meanwhile
    const folder = await trx.selectFrom('files.folders').select('status').where('folder_id', '=', folderId).executeTakeFirst();
    if (folder?.status === 'active') await app.folderCommands.handle(folderId, { type: 'TrashFolder', data: { ownerId: req.ownerId, now: req.now } }, options);
    return 'last';
  }

  async function restoreBatch(trx: Trx, req: TreeRequest, folderId: string): Promise<number | 'last'> {
    // every batch's events at the moment the user asked: the past shows the whole operation or none of it
    const options = { transaction: trx, metadata: req.metadata, occurredAt: req.now };
    // a folder no longer in the drive (trashed again, or gone) keeps what went with it
    const self = await trx.selectFrom('files.folders').select('status').where('folder_id', '=', folderId).executeTakeFirst();
    if (self?.status !== 'active') return 'last';
    const folders = await trx
      .selectFrom('files.folders')
      .select(['folder_id as id', 'parent_id as parent', 'name', 'name_key'])
      .where('trashed_with', '=', folderId)
      .where('owner_id', '=', req.ownerId)
      .where('status', '=', 'trashed')
      .orderBy('folder_id')
      .limit(size)
      .execute();
    const room = size - folders.length;
    const files =
      room === 0
        ? []
        : await trx
            .selectFrom('files.files')
            .select(['file_id as id', 'folder_id as parent', 'name', 'name_key'])
            .where('trashed_with', '=', folderId)
            .where('owner_id', '=', req.ownerId)
            .where('status', '=', 'trashed')
            .orderBy('file_id')
            .limit(room)
            .execute();
    // The folder itself went back first, so between two batches it is live: an upload or a new
    // folder there may have taken the name of an entry still waiting. Such an entry keeps both,
    // as a single restore does. `held` is every (place, name) live in the drive that the batch's
    // names may meet, then each name the batch gives back as it goes.
    const held = await heldNames(trx, req.ownerId, [...folders, ...files].map((e) => e.name_key));
    const restore = async (kind: 'file' | 'folder', entry: BatchEntry) => {
      let name = entry.name;
      let data: { ownerId: string; taken: readonly string[]; rename?: string; now: Date } = { ownerId: req.ownerId, taken: [], now: req.now };
      if (held.has(placed(entry.parent, entry.name_key))) {
        // the read models hold this batch's restores already (same transaction)
        const taken = await takenKeys(trx, req.ownerId, entry.parent, entry.name, kind, entry.id);
        name = freeName(entry.name, new Set(taken), kind);
        data = { ...data, taken, rename: name };
      }
      if (kind === 'folder') await app.folderCommands.handle(entry.id, { type: 'RestoreFolder', data }, options);
      else await app.commands.handle(entry.id, { type: 'RestoreFile', data }, options);
      held.add(placed(entry.parent, nameKey(name)));
    };
    for (const f of folders) await restore('folder', f);
    for (const f of files) await restore('file', f);
    const changed = folders.length + files.length;
    return changed < size ? 'last' : changed;
  }

  /** Runs the folder's pending operation (if any) to its end. */
  async function settle(ownerId: string, folderId: string): Promise<void> {
    while ((await step(ownerId, folderId)) === 'more') {
      // each batch commits on its own: the log's readers move on between them
    }
  }

  /**
   * Starts an operation once nothing else is pending in the owner's drive: `begin` runs in the
   * transaction that writes the operation's row, and `recorded` is called once that row (or the
   * same operation's, pending) is there. Returns false when the folder's own operation of this
   * kind was what was pending (a retry of the same request): it is done once settled.
   */
  async function start(req: TreeRequest, folderId: string, kind: FolderOperationKind, begin: (trx: Trx) => Promise<void>, recorded: () => void): Promise<boolean> {
    for (;;) {
      const pending = await inTree(app, req.ownerId, async (trx) => {
        const others = await trx.selectFrom('files.folder_operations').select(['folder_id', 'kind']).where('owner_id', '=', req.ownerId).execute();
        if (others.length > 0) return others;
        await begin(trx);
        await trx
          .insertInto('files.folder_operations')
          .values({ folder_id: folderId, owner_id: req.ownerId, kind, metadata: JSON.stringify(req.metadata), requested_at: req.now })
          .execute();
        return [];
      });
      if (pending.length === 0) break;
      const same = pending.some((op) => op.folder_id === folderId && op.kind === kind);
      if (same) recorded();
      for (const op of pending) await settle(req.ownerId, op.folder_id);
      if (same) return false;
    }
    recorded();
    await settle(req.ownerId, folderId);
    return true;
  }

  /**
   * Runs an operation, and says within `budgetMs` whether it is over ('done') or recorded and
   * going on ('accepted'): a folder of thousands of files takes longer than a caller (or the
   * gateway's deadline) waits. An accepted operation goes on in this process, batch by batch,
   * as it would have; should the process die, its row is there for the jobs. It is never
   * 'accepted' before its row is written: until then it may still be refused (a 404).
   */
  async function run(budgetMs: number, go: (recorded: () => void) => Promise<boolean>): Promise<'done' | 'accepted'> {
    let onRecorded!: () => void;
    const recorded = new Promise<'accepted'>((resolve) => (onRecorded = () => resolve('accepted')));
    const finished = go(onRecorded).then(() => 'done' as const);
    const timer = new AbortController();
    const late = delay(budgetMs, 'late' as const, { signal: timer.signal }).catch(() => 'done' as const);
    try {
      if ((await Promise.race([finished, late])) === 'done') return 'done';
    } finally {
      timer.abort();
    }
    const outcome = await Promise.race([finished, recorded]);
    if (outcome === 'accepted') {
      finished.catch((err: unknown) => {
        // the row stays: the jobs carry it on once it is stale
        app.log.error({ err }, 'a folder operation answered as accepted stopped; the jobs will carry it on');
      });
    }
    return outcome;
  }

  return {
    /**
     * DELETE /folders/{id}: the folder to the trash with everything inside, batch by batch;
     * 'accepted' when it goes on past `budgetMs` (FOLDER_OPERATION_ANSWER_MS by default).
     */
    trash(req: TreeRequest, folderId: string, budgetMs = config.FOLDER_OPERATION_ANSWER_MS): Promise<'done' | 'accepted'> {
      return run(budgetMs, (recorded) =>
        start(
          req,
          folderId,
          'trash',
          async (trx) => {
            const folder = await ownFolder(trx, req.ownerId, folderId);
            if (folder.status !== 'active') throw new FolderNotFoundError();
          },
          recorded,
        ),
      );
    },

    /** POST /folders/{id}/restore: the folder back where it was (decided at once), then what went with it, batch by batch; 'accepted' as trash's. */
    restore(req: TreeRequest, folderId: string, policy: ClashPolicy, budgetMs = config.FOLDER_OPERATION_ANSWER_MS): Promise<'done' | 'accepted'> {
      return run(budgetMs, (recorded) => start(req, folderId, 'restore', (trx) => tree.restoreFolderItself(trx, req, folderId, policy), recorded));
    },

    settle,

    /** Runs every pending operation of the owner's drive to its end. */
    async settleOwner(ownerId: string): Promise<void> {
      const pending = await app.db.selectFrom('files.folder_operations').select('folder_id').where('owner_id', '=', ownerId).execute();
      for (const op of pending) await settle(ownerId, op.folder_id);
    },

    /** Carries on the operations nobody has moved for FOLDER_OPERATION_STALE_SECONDS (their process died); returns how many. */
    async resumeStale(signal?: AbortSignal): Promise<number> {
      const stale = await app.db
        .selectFrom('files.folder_operations')
        .select(['folder_id', 'owner_id'])
        .where('touched_at', '<', sql<Date>`now() - make_interval(secs => ${config.FOLDER_OPERATION_STALE_SECONDS})`)
        .orderBy('touched_at')
        .execute();
      let resumed = 0;
      for (const op of stale) {
        signal?.throwIfAborted();
        try {
          await settle(op.owner_id, op.folder_id);
          resumed++;
        } catch (err) {
          // one operation that cannot go on must not stop the round's other jobs; it stays, and is said
          if (signal?.aborted) throw err;
          app.log.error({ err, folderId: op.folder_id }, 'jobs: a pending folder operation could not be carried on');
        }
      }
      return resumed;
    },
  };
}

export type FolderOperations = ReturnType<typeof folderOperationsOf>;
