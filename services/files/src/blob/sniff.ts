/**
 * The content type of a file, read from its first bytes. What a client declares is never trusted:
 * a "photo.jpg" that starts with <html> is recorded as HTML (and served as an opaque download).
 */
export const SNIFF_BYTES = 4096;

const startsWith = (b: Buffer, sig: number[], offset = 0) => sig.every((byte, i) => b[offset + i] === byte);
const ascii = (b: Buffer, text: string, offset = 0) => b.subarray(offset, offset + text.length).toString('latin1') === text;

const SIGNATURES: { type: string; test: (b: Buffer) => boolean }[] = [
  { type: 'application/pdf', test: (b) => ascii(b, '%PDF-') },
  { type: 'image/png', test: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/jpeg', test: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { type: 'image/gif', test: (b) => ascii(b, 'GIF87a') || ascii(b, 'GIF89a') },
  { type: 'image/webp', test: (b) => ascii(b, 'RIFF') && ascii(b, 'WEBP', 8) },
  { type: 'audio/wav', test: (b) => ascii(b, 'RIFF') && ascii(b, 'WAVE', 8) },
  { type: 'image/bmp', test: (b) => ascii(b, 'BM') && b.length >= 26 && b.readUInt32LE(2) >= 26 },
  { type: 'image/tiff', test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]) },
  { type: 'application/zip', test: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06]) },
  { type: 'application/gzip', test: (b) => startsWith(b, [0x1f, 0x8b]) },
  { type: 'application/x-7z-compressed', test: (b) => startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) },
  { type: 'application/vnd.rar', test: (b) => ascii(b, 'Rar!\u001a\u0007') },
  { type: 'video/mp4', test: (b) => ascii(b, 'ftyp', 4) },
  { type: 'audio/mpeg', test: (b) => ascii(b, 'ID3') },
  { type: 'audio/ogg', test: (b) => ascii(b, 'OggS') },
  { type: 'application/vnd.sqlite3', test: (b) => ascii(b, 'SQLite format 3\u0000') },
  { type: 'application/x-msdownload', test: (b) => ascii(b, 'MZ') },
  { type: 'application/x-elf', test: (b) => startsWith(b, [0x7f, 0x45, 0x4c, 0x46]) },
];

const HTML_START = /^\s*<(!doctype\s+html|html|head|body|script|iframe|object|embed|style|title|a\s|img\s|div|table|meta|link|svg)[\s>/]/i;

function looksLikeText(b: Buffer): boolean {
  if (b.includes(0)) return false;
  // cut a multi-byte character split at the end of the sample before decoding strictly
  let end = b.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = b[end - i]!;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte >= 0xc0) end -= i;
    break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

export function sniffContentType(head: Buffer): string {
  if (head.length === 0) return 'application/octet-stream';
  for (const { type, test } of SIGNATURES) if (test(head)) return type;
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  if (HTML_START.test(text)) return /^\s*<svg/i.test(text) ? 'image/svg+xml' : 'text/html';
  if (/^\s*<\?xml/i.test(text)) return /<svg[\s>]/i.test(text) ? 'image/svg+xml' : 'application/xml';
  if (/^\s*[{[]/.test(text) && looksLikeText(head)) {
    try {
      JSON.parse(text);
      return 'application/json';
    } catch {
      // a prefix of a larger document, or not JSON: plain text either way
    }
  }
  return looksLikeText(head) ? 'text/plain' : 'application/octet-stream';
}

/** Types a browser shows as themselves without running anything; everything else downloads as bytes. */
const SAFE_TO_LABEL = new Set([
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/tiff',
  'audio/wav',
  'audio/mpeg',
  'audio/ogg',
  'video/mp4',
  'application/zip',
  'application/gzip',
  'application/x-7z-compressed',
  'application/vnd.rar',
  'application/json',
  'text/plain',
]);

/** The Content-Type a download is served with: never HTML, SVG, XML or anything else that could run. */
export function servedContentType(recorded: string): string {
  if (!SAFE_TO_LABEL.has(recorded)) return 'application/octet-stream';
  return recorded === 'text/plain' ? 'text/plain; charset=utf-8' : recorded;
}
