import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import type { Readable } from 'node:stream';
import type { ReadContext } from './context.js';
import { ExtractionFailure } from './types.js';

// Small parts compress far past any sane ratio (a run of empty cells); only an entry this large can
// be a bomb worth stopping, so the ratio applies from here on.
const RATIO_FLOOR_BYTES = 1024 * 1024;

/** What a reader of an entry returns for each chunk: 'stop' when it has all it wants. */
export type ChunkSink = (chunk: Buffer) => void | 'stop';

/** A zip package opened from memory, whose entries are inflated only under the limits. */
export interface ZipPackage {
  /** Part names as stored, without a leading slash. */
  readonly names: readonly string[];
  /** Whether a part exists (OOXML part names are case-insensitive). */
  has(name: string): boolean;
  /** Streams one part's inflated bytes to `sink`, counted against the entry and total caps. */
  read(name: string, sink: ChunkSink): Promise<void>;
  close(): void;
}

function corrupt(message: string, cause?: unknown): ExtractionFailure {
  return new ExtractionFailure('corrupt', message, { cause });
}

function bomb(message: string): ExtractionFailure {
  return new ExtractionFailure('zip-bomb', message);
}

// A package whose parts add up past the cap at honest ratios is big rather than hostile
function tooLarge(max: number): ExtractionFailure {
  return new ExtractionFailure('too-large', `the package inflates past ${max} bytes`);
}

function key(name: string): string {
  return name.replace(/^\/+/, '').toLowerCase();
}

/** Opens a zip held in memory and reads its central directory (no entry is inflated yet). */
export async function openZip(bytes: Uint8Array, ctx: ReadContext): Promise<ZipPackage> {
  const { limits } = ctx;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const zip = await new Promise<ZipFile>((resolve, reject) => {
    yauzl.fromBuffer(
      buffer,
      // sizes are checked below, so that a lying header is named a bomb rather than a stream error
      { lazyEntries: true, decodeStrings: true, validateEntrySizes: false, strictFileNames: false },
      (err, zipfile) => (err ? reject(corrupt(`not a readable zip: ${err.message}`, err)) : resolve(zipfile)),
    );
  });
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw bomb(`the zip holds ${zip.entryCount} entries, more than ${limits.maxEntries}`);
  }
  const entries = new Map<string, Entry>();
  const names: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        const name = entry.fileName.replace(/^\/+/, '');
        if (!entries.has(key(name))) {
          entries.set(key(name), entry);
          names.push(name);
        }
        zip.readEntry();
      });
      zip.once('end', resolve);
      zip.once('error', (err: Error) => reject(corrupt(`broken zip directory: ${err.message}`, err)));
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    throw err;
  }

  let inflatedTotal = 0;

  async function read(name: string, sink: ChunkSink): Promise<void> {
    const entry = entries.get(key(name));
    if (!entry) throw corrupt(`the package has no part ${name}`);
    if (entry.isEncrypted()) throw new ExtractionFailure('encrypted', `the part ${name} is encrypted`);
    const declared = entry.uncompressedSize;
    const packed = Math.max(entry.compressedSize, 1);
    if (declared > RATIO_FLOOR_BYTES && declared / packed > limits.maxCompressionRatio) {
      throw bomb(`${name} claims a compression ratio of ${Math.round(declared / packed)}:1`);
    }
    if (inflatedTotal + declared > limits.maxUncompressedBytes) throw tooLarge(limits.maxUncompressedBytes);
    const stream = await new Promise<Readable>((resolve, reject) => {
      zip.openReadStream(entry, (err, s) => (err ? reject(corrupt(`cannot read ${name}: ${err.message}`, err)) : resolve(s)));
    });
    let inflated = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        inflated += chunk.length;
        inflatedTotal += chunk.length;
        // the header said less than this: whatever it holds, it lied about its size
        if (inflated > declared) throw bomb(`${name} inflates past the ${declared} bytes its header declares`);
        if (inflated > RATIO_FLOOR_BYTES && inflated / packed > limits.maxCompressionRatio) {
          throw bomb(`${name} inflates at more than ${limits.maxCompressionRatio}:1`);
        }
        if (inflatedTotal > limits.maxUncompressedBytes) throw tooLarge(limits.maxUncompressedBytes);
        ctx.checkTime();
        if (sink(chunk) === 'stop') break;
      }
    } catch (err) {
      if (err instanceof ExtractionFailure) throw err;
      throw corrupt(`cannot inflate ${name}: ${(err as Error).message}`, err);
    } finally {
      stream.destroy();
    }
  }

  return {
    names,
    has: (name) => entries.has(key(name)),
    read,
    close: () => zip.close(),
  };
}
