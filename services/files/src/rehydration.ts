import type { RehydratePriority } from '@strata/contracts';
import type { EventMetadata } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import type { FileRow } from './db/schema.js';
import { FileNotFoundError } from './domain/file/decide.js';
import type { FileState } from './domain/file/file.js';

/**
 * What a blob's properties say of its way back from the archive. Blob Storage answers a Set Blob
 * Tier of an archived blob at once (202) but moves it for hours: until then `accessTier` stays
 * `Archive` and `archiveStatus` is `rehydrate-pending-to-hot` (or -cool, -cold). An archived blob
 * with no such status was never asked (or the ask was lost). Azurite 3.35 moves the tier at once
 * and never sets `archiveStatus`, so locally a blob is readable by the first check.
 */
export type BlobRehydration = 'readable' | 'pending' | 'not-requested';

export function blobRehydration(properties: { accessTier?: string | undefined; archiveStatus?: string | undefined }): BlobRehydration {
  if (properties.archiveStatus?.toLowerCase().startsWith('rehydrate-pending-to-')) return 'pending';
  if (properties.accessTier?.toLowerCase() === 'archive') return 'not-requested';
  return 'readable';
}

/** The blob names of the versions a file's state says are archived. */
function archivedBlobs(state: FileState): string[] {
  if (state.status === 'none') return [];
  return state.versions.filter((v) => state.archived.includes(v.version)).map((v) => v.blobName);
}

/** Asks Blob Storage to bring blobs back to hot; one that fails is asked again by the job. */
async function askHot(app: FastifyInstance, blobNames: string[], priority: RehydratePriority): Promise<void> {
  for (const blobName of blobNames) {
    try {
      await app.blobs.getBlockBlobClient(blobName).setAccessTier('Hot', { rehydratePriority: priority });
    } catch (err) {
      app.log.warn({ err, blobName }, 'rehydration request failed; the rehydration job asks again');
    }
  }
}

/**
 * A download found an archived version: FileRehydrationRequested is stored (once: while one is
 * pending, decide asks for nothing more), then every archived blob of the file is asked back to
 * hot. The event comes first so that two downloads at once ask Blob Storage once; a crash before
 * the ask leaves an archived blob with no pending status, which the job asks again. Undefined when
 * nothing of the file is archived any more (it was rehydrated meanwhile): the download goes on.
 */
export async function requestRehydration(
  app: FastifyInstance,
  file: Pick<FileRow, 'file_id' | 'owner_id'>,
  priority: RehydratePriority,
  metadata: EventMetadata,
): Promise<{ requestedAt: string; priority: RehydratePriority } | undefined> {
  const result = await app.commands.handle(file.file_id, { type: 'RequestRehydration', data: { ownerId: file.owner_id, priority, now: app.clock.now() } }, { metadata, retries: 3 });
  const { state } = result;
  if (state.status === 'none' || !state.rehydration) return undefined;
  if (result.events.length > 0) await askHot(app, archivedBlobs(state), state.rehydration.priority);
  return state.rehydration;
}

/**
 * The job's look at one pending rehydration: every archived blob's tier read back from Blob
 * Storage. All readable → FileRehydrated (downloads work again); an archived blob that was never
 * asked is asked again; otherwise it is still on its way. True when the file was rehydrated now.
 */
export async function checkRehydration(app: FastifyInstance, fileId: string, ownerId: string, metadata: EventMetadata): Promise<boolean> {
  const { state } = await app.commands.load(fileId);
  if (state.status === 'none' || state.status === 'purged' || !state.rehydration) return false;
  const blobNames = archivedBlobs(state);
  const seen = await Promise.all(blobNames.map(async (blobName) => ({ blobName, is: blobRehydration(await app.blobs.getBlockBlobClient(blobName).getProperties()) })));
  const unasked = seen.filter((b) => b.is === 'not-requested').map((b) => b.blobName);
  if (unasked.length > 0) {
    app.log.info({ fileId, blobs: unasked.length }, 'archived blobs with no rehydration pending: asking again');
    await askHot(app, unasked, state.rehydration.priority);
  }
  if (seen.some((b) => b.is !== 'readable')) return false;
  try {
    const result = await app.commands.handle(fileId, { type: 'CompleteRehydration', data: { ownerId, now: app.clock.now() } }, { metadata });
    return result.events.length > 0;
  } catch (error) {
    // purged meanwhile: nothing left to bring back
    if (error instanceof FileNotFoundError) return false;
    throw error;
  }
}
