import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { reason } from './image.js';
import { VisionError } from './types.js';

// Where office suites leave a picture of the first page: LibreOffice writes the ODF one by
// default; Word, Excel and PowerPoint write the OOXML one when "save preview picture" is on
// (PowerPoint usually). EMF and WMF thumbnails exist too, but sharp cannot draw them.
const THUMBNAIL_PATHS = new Set([
  'Thumbnails/thumbnail.png',
  'docProps/thumbnail.jpeg',
  'docProps/thumbnail.jpg',
  'docProps/thumbnail.png',
]);

// A thumbnail is a few kilobytes; a bigger entry with that name is a trap, not a picture.
const MAX_THUMBNAIL_BYTES = 4 * 1024 * 1024;
// The central directory is read entry by entry; a zip claiming millions is not an office file.
const MAX_ENTRIES = 20_000;

const OFFICE_TYPE = /^application\/vnd\.(oasis\.opendocument\.|openxmlformats-officedocument\.|ms-(word|excel|powerpoint)\.)/;

/** The content type is an OpenDocument or Office Open XML one, and the bytes a zip. */
export function isOfficeZip(bytes: Uint8Array, contentType: string): boolean {
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  return zip && OFFICE_TYPE.test(contentType);
}

function open(bytes: Uint8Array): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) =>
      err ? reject(err) : resolve(zip),
    );
  });
}

function readAll(zip: ZipFile, entry: Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream: Readable) => {
      if (err) return reject(err);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // validateEntrySizes stops a stream longer than declared; this stops a declared size we never agreed to.
        if (size > MAX_THUMBNAIL_BYTES) stream.destroy(new Error('thumbnail larger than declared limit'));
        else chunks.push(chunk);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/**
 * The thumbnail an office suite stored in the document (ODF Thumbnails/thumbnail.png,
 * OOXML docProps/thumbnail.jpeg), or null when it stored none. A corrupt zip is a
 * `VisionError`; entries are counted and the thumbnail's size is capped, so a zip bomb
 * costs nothing.
 */
export async function officeThumbnail(bytes: Uint8Array): Promise<Buffer | null> {
  let zip: ZipFile;
  try {
    zip = await open(bytes);
  } catch (err) {
    throw new VisionError('unreadable', `corrupt office document (zip): ${reason(err)}`, { cause: err });
  }
  if (zip.entryCount > MAX_ENTRIES) {
    zip.close();
    throw new VisionError('too-large', `office document has ${zip.entryCount} entries, over the limit of ${MAX_ENTRIES}`);
  }
  try {
    return await new Promise<Buffer | null>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        if (!THUMBNAIL_PATHS.has(entry.fileName) || entry.uncompressedSize > MAX_THUMBNAIL_BYTES) {
          zip.readEntry();
          return;
        }
        readAll(zip, entry).then(resolve, reject);
      });
      zip.on('end', () => resolve(null));
      zip.on('error', reject);
      zip.readEntry();
    });
  } catch (err) {
    throw new VisionError('unreadable', `corrupt office document (zip): ${reason(err)}`, { cause: err });
  } finally {
    zip.close();
  }
}
