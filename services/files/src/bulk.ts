import { AppError, httpError, isConnectionError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from './caller.js';
import { metadataOf } from './caller.js';
import type { Config } from './config.js';
import { toHttpError } from './errors.js';
import { folderOperationsOf } from './folder-operations.js';
import { purgeFile } from './purge.js';
import { type ClashPolicy, type TreeRequest, treeOf } from './tree.js';

export type BulkAction = 'move' | 'trash' | 'restore' | 'purge' | 'star' | 'unstar';
export interface BulkItem {
  kind: 'file' | 'folder';
  id: string;
}
export interface BulkResult extends BulkItem {
  ok: boolean;
  status: number;
  detail?: string;
}

/** What each action answers for an item done, as its single-item route would. */
const SUCCESS: Record<BulkAction, number> = { move: 200, trash: 204, restore: 200, purge: 204, star: 200, unstar: 200 };

/**
 * POST /bulk: one action on many files and folders. Each item is done exactly as its own route
 * does it (`PATCH /files/{id}` with folderId, `DELETE /folders/{id}`, `POST /files/{id}/restore`,
 * `DELETE /trash/{id}`, `PUT /folders/{id}/star`...), in its own transaction, one after the other
 * in the order named; an item that fails is reported with the status and the detail that route
 * would have answered, and the others go on. So a request either applies to all it names, or says
 * per item what failed and why; someone else's item is a 404 and nothing of theirs changes.
 */
export function bulkOf(app: FastifyInstance, config: Config) {
  const tree = treeOf(app, config);
  const operations = folderOperationsOf(app, config);

  /** Does one item; 'accepted' for a folder's trash or restore still going on once `budgetMs` is spent. */
  async function apply(req: TreeRequest, action: BulkAction, item: BulkItem, target: string | null, policy: ClashPolicy, budgetMs: number): Promise<'done' | 'accepted'> {
    const { ownerId, metadata, now } = req;
    const data = { ownerId, now };
    const file = item.kind === 'file';
    switch (action) {
      case 'move':
        if (file) await tree.updateFile(req, item.id, { folderId: target });
        else await tree.updateFolder(req, item.id, { parentId: target });
        return 'done';
      case 'trash':
        if (!file) return operations.trash(req, item.id, budgetMs);
        await app.commands.handle(item.id, { type: 'TrashFile', data }, { metadata });
        return 'done';
      case 'restore':
        if (!file) return operations.restore(req, item.id, policy, budgetMs);
        await tree.restoreFile(req, item.id, policy);
        return 'done';
      case 'purge':
        // folders are not purged (a trashed folder stays restorable until its files are purged): no route purges one
        if (!file) {
          const own = await app.db.selectFrom('files.folders').select('folder_id').where('folder_id', '=', item.id).where('owner_id', '=', ownerId).where('status', '=', 'trashed').executeTakeFirst();
          if (!own) throw httpError(404, 'No such folder in the trash.');
          throw new AppError(409, 'folder-not-purgeable', 'Folders are not purged', 'A folder is not purged: purge the files in it (GET /trash lists them with their folderId); the folder stays in the trash, empty.');
        }
        try {
          await purgeFile(app, item.id, ownerId, 'user', metadata);
        } catch (error) {
          // as DELETE /trash/{id}: only a file in the trash can be purged from it
          const mapped = toHttpError(error);
          if (mapped instanceof AppError && mapped.status === 409) throw httpError(404, 'No such file in the trash.');
          throw mapped;
        }
        return 'done';
      case 'star':
      case 'unstar': {
        const star = action === 'star';
        if (file) await app.commands.handle(item.id, star ? { type: 'StarFile', data } : { type: 'UnstarFile', data }, { metadata });
        else await app.folderCommands.handle(item.id, star ? { type: 'StarFolder', data } : { type: 'UnstarFolder', data }, { metadata });
        return 'done';
      }
      default: {
        const never: never = action;
        return never;
      }
    }
  }

  return async function bulk(
    request: FastifyRequest,
    caller: Caller,
    body: { action: BulkAction; items: BulkItem[]; targetFolderId?: string | null | undefined; onClash?: ClashPolicy | undefined },
  ): Promise<BulkResult[]> {
    const target = body.targetFolderId ?? null;
    const results: BulkResult[] = [];
    // one answer within FOLDER_OPERATION_ANSWER_MS for the whole request: folders' operations share it
    const answerBy = performance.now() + config.FOLDER_OPERATION_ANSWER_MS;
    for (const item of body.items) {
      const req: TreeRequest = { ownerId: caller.ownerId, metadata: metadataOf(request, caller), now: app.clock.now() };
      try {
        const outcome = await apply(req, body.action, item, target, body.onClash ?? 'keep-both', Math.max(0, answerBy - performance.now()));
        results.push({ kind: item.kind, id: item.id, ok: true, status: outcome === 'accepted' ? 202 : SUCCESS[body.action] });
      } catch (error) {
        results.push({ kind: item.kind, id: item.id, ok: false, ...failure(request, toHttpError(error)) });
      }
    }
    return results;
  };
}

/** An item's failure as its own route would answer it; a fault of ours says no more than a 5xx problem would. */
function failure(request: FastifyRequest, error: unknown): { status: number; detail: string } {
  if (error instanceof AppError && error.status < 500) return { status: error.status, detail: error.detail ?? error.title };
  if (isConnectionError(error)) {
    request.log.warn({ err: error }, 'a bulk item met a lost dependency');
    return { status: 503, detail: 'A service this needs is unavailable for a moment: try this item again.' };
  }
  request.log.error({ err: error }, 'a bulk item failed');
  return { status: 500, detail: 'This item could not be changed.' };
}
