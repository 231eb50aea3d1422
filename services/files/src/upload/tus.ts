import { RestError, type BlockBlobClient } from '@azure/storage-blob';
import type { Block } from '@azure/storage-blob';
import { offsetOfBlockId } from '../blob/blocks.js';

/**
 * The offset of a resumable upload, read from Blob Storage rather than from a counter: the
 * longest run of blocks that starts at byte 0 and has no gap (each block's id names its offset).
 * A process killed while staging a block leaves that block out (a block is staged whole or not
 * at all), so the offset is never ahead of the bytes, and never behind them either.
 */
export async function stagedChain(blob: BlockBlobClient): Promise<{ offset: number; ids: string[]; committed: boolean }> {
  let blocks: Block[];
  let committed: Block[] = [];
  try {
    const list = await blob.getBlockList('all');
    committed = list.committedBlocks ?? [];
    blocks = committed.length > 0 ? committed : (list.uncommittedBlocks ?? []);
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return { offset: 0, ids: [], committed: false };
    throw error;
  }
  if (committed.length > 0) {
    // the upload was committed (its completion was interrupted after the commit): the blob is whole
    return { offset: committed.reduce((n, b) => n + b.size, 0), ids: committed.map((b) => b.name), committed: true };
  }
  const byOffset = new Map<number, Block>();
  for (const block of blocks) {
    const offset = offsetOfBlockId(block.name);
    if (Number.isSafeInteger(offset)) byOffset.set(offset, block);
  }
  const ids: string[] = [];
  let offset = 0;
  for (let block = byOffset.get(0); block && block.size > 0; block = byOffset.get(offset)) {
    ids.push(block.name);
    offset += block.size;
  }
  return { offset, ids, committed: false };
}

/** Upload-Metadata: comma-separated `key base64value` pairs. */
export function parseUploadMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(',')) {
    const [key, value] = pair.trim().split(' ');
    if (!key) continue;
    if (!/^[\x21-\x7e]+$/.test(key) || key.includes(',')) throw new Error(`bad metadata key ${key}`);
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new Error(`metadata ${key} is not base64`);
    out[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
  }
  return out;
}
