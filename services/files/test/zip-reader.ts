import { createHash } from 'node:crypto';
import yauzl from 'yauzl';

/**
 * Every entry of a ZIP file on disk, read with yauzl (a reader nobody here wrote, strict about
 * the format, ZIP64 included): its name and the sha256 of its bytes, which yauzl checks against
 * the CRC-32 and the sizes the archive records.
 */
export function readZip(path: string): Promise<{ name: string; size: number; sha256: string }[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      const out: { name: string; size: number; sha256: string }[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) {
          out.push({ name: entry.fileName, size: 0, sha256: '' });
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('no stream'));
          const hash = createHash('sha256');
          stream.on('data', (chunk: Buffer) => hash.update(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            out.push({ name: entry.fileName, size: entry.uncompressedSize, sha256: hash.digest('hex') });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
