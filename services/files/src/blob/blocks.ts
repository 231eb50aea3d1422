import { createHash, type Hash } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';
import { SNIFF_BYTES } from './sniff.js';

/**
 * Block ids encode the block's offset in the file: a staged block says by itself where its bytes
 * belong, so the offset of an interrupted upload can be read back from the blob's block list.
 * All ids of a blob must have the same length (16 digits, base64).
 */
export const blockIdFor = (offset: number) => Buffer.from(offset.toString().padStart(16, '0')).toString('base64');
export const offsetOfBlockId = (id: string) => Number(Buffer.from(id, 'base64').toString('latin1'));

export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = 'TooLargeError';
  }
}

export interface StagedBlock {
  id: string;
  offset: number;
  size: number;
}

/**
 * Streams bytes into staged blocks of a block blob with bounded memory: one block filling and at
 * most `maxInFlight` being staged. Hashes and counts the bytes on the way and keeps the first few
 * KiB for sniffing. Nothing is visible until the caller commits the block list.
 *
 * Blocks may land out of order (and a kill may leave a gap): each block holds the file's bytes at
 * the offset its id names, so whatever is staged is right, and the offset of a resumable upload
 * is the gap-free run from byte 0 (see upload/tus.ts).
 */
export class BlockWriter {
  readonly staged: StagedBlock[] = [];
  readonly hash: Hash = createHash('sha256');
  head = Buffer.alloc(0);
  written = 0;
  private buffer: Buffer;
  private filled = 0;
  /** Where the buffer's first byte lands in the file. */
  private nextOffset: number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Block buffers handed back after their stage call: reused, so memory stays flat however big the file. */
  private readonly spare: Buffer[] = [];
  private failure: unknown;

  constructor(
    private readonly blob: BlockBlobClient,
    private readonly blockBytes: number,
    /** Where the first byte written lands in the file (a tus PATCH resumes mid-file). */
    startOffset = 0,
    /** Bytes allowed in total through this writer; one more is a TooLargeError. */
    private readonly limit = Number.POSITIVE_INFINITY,
    private readonly signal?: AbortSignal,
    private readonly maxInFlight = 4,
  ) {
    this.buffer = Buffer.allocUnsafe(blockBytes);
    this.nextOffset = startOffset;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.written + chunk.length > this.limit) throw new TooLargeError(this.limit);
    this.hash.update(chunk);
    if (this.head.length < SNIFF_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_BYTES - this.head.length)]);
    this.written += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, this.blockBytes - this.filled);
      chunk.copy(this.buffer, this.filled, at, at + n);
      this.filled += n;
      at += n;
      if (this.filled === this.blockBytes) await this.stageBuffered();
    }
  }

  /** Stages what is buffered and waits for every block: after it, `staged` is the truth. */
  async flush(): Promise<StagedBlock[]> {
    if (this.filled > 0) await this.stageBuffered();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    return [...this.staged].sort((a, b) => a.offset - b.offset);
  }

  /** Lets a staging in flight settle (after an error), so nothing writes after the caller moved on. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight);
  }

  private async stageBuffered(): Promise<void> {
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const body = this.buffer.subarray(0, this.filled);
    const offset = this.nextOffset;
    this.nextOffset += body.length;
    const block = { id: blockIdFor(offset), offset, size: body.length };
    const buffer = this.buffer;
    this.buffer = this.spare.pop() ?? Buffer.allocUnsafe(this.blockBytes);
    this.filled = 0;
    const staging: Promise<void> = this.blob
      .stageBlock(block.id, body, body.length, this.signal ? { abortSignal: this.signal } : {})
      .then(
        () => {
          this.staged.push(block);
        },
        (error: unknown) => {
          this.failure ??= error;
        },
      )
      .finally(() => {
        this.inFlight.delete(staging);
        this.spare.push(buffer);
      });
    this.inFlight.add(staging);
  }
}
