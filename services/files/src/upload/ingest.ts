import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { BlockWriter, TooLargeError } from '../blob/blocks.js';
import { sniffContentType } from '../blob/sniff.js';
import { quotaExceeded, tooLarge } from '../errors.js';
import type { QuotaUse } from '../quota.js';

export interface Ingested {
  size: number;
  sha256: string;
  contentType: string;
}

/**
 * Streams one upload into a new, immutable blob: staged blocks of bounded size, hashed and counted
 * on the way, committed only when every byte has arrived and fits the limits. A failure leaves no
 * committed blob (the staged blocks are discarded).
 */
export async function ingest(
  blob: BlockBlobClient,
  source: AsyncIterable<Buffer>,
  limits: { blockBytes: number; maxBytes: number; quotaBytes: number } & QuotaUse,
): Promise<Ingested> {
  const remaining = Math.max(0, limits.quotaBytes - limits.usedBytes - limits.reservedBytes);
  const writer = new BlockWriter(blob, limits.blockBytes, 0, Math.min(limits.maxBytes, remaining));
  try {
    for await (const chunk of source) await writer.write(chunk);
    const blocks = await writer.flush();
    const contentType = sniffContentType(writer.head);
    await blob.commitBlockList(
      blocks.map((b) => b.id),
      { blobHTTPHeaders: { blobContentType: contentType } },
    );
    return { size: writer.written, sha256: writer.hash.digest('hex'), contentType };
  } catch (error) {
    await writer.settle();
    await discard(blob);
    if (error instanceof TooLargeError) {
      throw limits.maxBytes <= remaining ? tooLarge(limits.maxBytes) : quotaExceeded(limits.quotaBytes, limits.usedBytes, limits.reservedBytes);
    }
    throw error;
  }
}

/** Removes a blob and any blocks staged for it (committing an empty list drops uncommitted blocks). */
export async function discard(blob: BlockBlobClient): Promise<void> {
  try {
    await blob.commitBlockList([]);
    await blob.deleteIfExists({ deleteSnapshots: 'include' });
  } catch {
    // the orphan sweep deletes what is left
  }
}

export const blockBlob = (container: ContainerClient, name: string) => container.getBlockBlobClient(name);
