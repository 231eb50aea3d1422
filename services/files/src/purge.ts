import { Components, FileEventTypes } from '@strata/contracts';
import type { EventMetadata } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import type { Transaction } from 'kysely';
import type { Database } from './db/schema.js';

/**
 * Purges a trashed file: FilePurged is stored first, then its blobs are deleted through the Dapr
 * blob binding. A blob whose delete fails (or whose process dies here) has no version row left,
 * so the orphan sweep deletes it later.
 */
export async function purgeFile(
  app: FastifyInstance,
  fileId: string,
  ownerId: string,
  reason: 'user' | 'retention',
  metadata: EventMetadata,
): Promise<void> {
  const result = await app.commands.handle(fileId, { type: 'PurgeFile', data: { ownerId, reason, now: app.clock.now() } }, { metadata, after: (trx) => forgetSharing(app, trx, fileId, metadata) });
  const purged = result.events.find((e) => e.type === FileEventTypes.FilePurged);
  if (purged?.type !== FileEventTypes.FilePurged) return;
  for (const blobName of purged.data.blobNames) await deleteBlob(app, blobName);
}

export async function deleteBlob(app: FastifyInstance, blobName: string): Promise<void> {
  try {
    // Azurite refuses a delete without this for blobs that have snapshots, or none
    await app.dapr.binding(Components.blobstore, 'delete', null, { blobName, deleteSnapshots: 'include' });
  } catch (err) {
    app.log.warn({ err, blobName }, 'blob delete failed; the orphan sweep retries');
  }
}

/**
 * A purged file's shares and links end with it, in the purge's transaction: each is revoked in its
 * own stream (ShareRevoked, LinkRevoked with reason `purged`), so a replay of the log never brings
 * them back.
 */
export async function forgetSharing(app: FastifyInstance, trx: Transaction<Database>, fileId: string, metadata: EventMetadata): Promise<void> {
  const now = app.clock.now();
  const shares = await trx.selectFrom('files.shares').select(['share_id', 'owner_id']).where('kind', '=', 'file').where('item_id', '=', fileId).execute();
  for (const share of shares) await app.shareCommands.handle(share.share_id, { type: 'RevokeShare', data: { ownerId: share.owner_id, now } }, { transaction: trx, metadata });
  const links = await trx.selectFrom('files.links').select(['link_id', 'owner_id']).where('kind', '=', 'file').where('item_id', '=', fileId).execute();
  for (const link of links) await app.linkCommands.handle(link.link_id, { type: 'RevokeLink', data: { ownerId: link.owner_id, reason: 'purged', now } }, { transaction: trx, metadata });
}
