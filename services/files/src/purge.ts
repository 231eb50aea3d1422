import { Components, FileEventTypes } from '@strata/contracts';
import type { EventMetadata } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';

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
  const result = await app.commands.handle(fileId, { type: 'PurgeFile', data: { ownerId, reason, now: app.clock.now() } }, { metadata });
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
