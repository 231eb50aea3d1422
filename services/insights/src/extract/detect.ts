import type { DocumentFormat } from './types.js';

const CONTENT_TYPES: Readonly<Record<string, DocumentFormat>> = {
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.template': 'docx',
  'application/vnd.ms-word.document.macroenabled.12': 'docx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.openxmlformats-officedocument.presentationml.slideshow': 'pptx',
  'application/vnd.ms-powerpoint.presentation.macroenabled.12': 'pptx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-excel.sheet.macroenabled.12': 'xlsx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'text/plain': 'text',
  'application/json': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/csv': 'csv',
  'text/tab-separated-values': 'csv',
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/jpg': 'image',
  'image/tiff': 'image',
};

const EXTENSIONS: Readonly<Record<string, DocumentFormat>> = {
  pdf: 'pdf',
  docx: 'docx', docm: 'docx', dotx: 'docx',
  pptx: 'pptx', pptm: 'pptx', ppsx: 'pptx',
  xlsx: 'xlsx', xlsm: 'xlsx',
  odt: 'odt',
  txt: 'text', text: 'text', log: 'text', json: 'text',
  md: 'markdown', markdown: 'markdown',
  html: 'html', htm: 'html', xhtml: 'html',
  csv: 'csv', tsv: 'csv',
  png: 'image', jpg: 'image', jpeg: 'image', tif: 'image', tiff: 'image',
};

const ZIP_FORMATS: ReadonlySet<DocumentFormat> = new Set(['docx', 'pptx', 'xlsx', 'odt']);
const OOXML_FORMATS: ReadonlySet<DocumentFormat> = new Set(['docx', 'pptx', 'xlsx']);
const TEXT_FORMATS: ReadonlySet<DocumentFormat> = new Set(['text', 'markdown', 'html', 'csv']);

// The part every package of the kind has; its name sits in clear in the local header and the
// central directory even when the data is deflated.
const ZIP_MARKERS: readonly [string, DocumentFormat][] = [
  ['word/document.xml', 'docx'],
  ['ppt/presentation.xml', 'pptx'],
  ['xl/workbook.xml', 'xlsx'],
];

const ODT_MIMETYPE = 'application/vnd.oasis.opendocument.text';

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  return bytes.every((b, i) => head[at + i] === b);
}

function ascii(head: Uint8Array, from: number, to: number): string {
  return Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1', from, Math.min(to, head.length));
}

/** The binary container the magic bytes name, before any hint from the name or content type. */
type Magic = 'pdf' | 'zip' | 'image' | 'cfb' | 'html' | null;

function magic(head: Uint8Array): Magic {
  // pdf.js, like Acrobat, accepts a header after some leading junk within the first KiB
  if (ascii(head, 0, 1024).includes('%PDF-')) return 'pdf';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (imageType(head)) return 'image';
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'cfb';
  const start = ascii(head, 0, 512).replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().slice(0, 15).toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'html';
  return null;
}

function zipFormat(head: Uint8Array): DocumentFormat | null {
  // ODF puts an uncompressed `mimetype` entry first, its content right after the 30-byte header
  if (ascii(head, 30, 38) === 'mimetype' && ascii(head, 38, 38 + ODT_MIMETYPE.length) === ODT_MIMETYPE) return 'odt';
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  let best: { at: number; format: DocumentFormat } | null = null;
  // An embedded workbook in a document could show the other marker too; the earliest is the package's own
  for (const [marker, format] of ZIP_MARKERS) {
    const at = buf.indexOf(marker, 0, 'latin1');
    if (at >= 0 && (best === null || at < best.at)) best = { at, format };
  }
  return best?.format ?? null;
}

function hinted(contentType: string, name: string): DocumentFormat | null {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const byType = CONTENT_TYPES[type];
  if (byType) return byType;
  const dot = name.lastIndexOf('.');
  const byExtension = dot >= 0 ? EXTENSIONS[name.slice(dot + 1).toLowerCase()] : undefined;
  if (byExtension) return byExtension;
  // any other text/* is still text to read
  if (type.startsWith('text/')) return 'text';
  return null;
}

/**
 * The format of a file from its first bytes (magic first, then the content type, then the name's
 * extension), or null when it is not one we read. Pass the whole file as `head` when you have it:
 * zip packages are told apart by the names of their parts.
 */
export function detectFormat(contentType: string, name: string, head: Uint8Array): DocumentFormat | null {
  const hint = hinted(contentType, name);
  switch (magic(head)) {
    case 'pdf':
      return 'pdf';
    case 'image':
      return 'image';
    case 'zip':
      return zipFormat(head) ?? (hint && ZIP_FORMATS.has(hint) ? hint : null);
    case 'cfb':
      // legacy .doc/.xls, or an encrypted OOXML package (see isEncryptedOffice): not text we read
      return null;
    case 'html':
      return hint === 'text' || hint === null ? 'html' : TEXT_FORMATS.has(hint) ? hint : 'html';
    case null:
      // bytes without a signature are only text; a binary type without its magic is not what it claims
      return hint && TEXT_FORMATS.has(hint) ? hint : null;
  }
}

/** The image type the magic bytes name (what OCR is told, whatever the upload claimed), or null. */
export function imageType(head: Uint8Array): 'image/png' | 'image/jpeg' | 'image/tiff' | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  return null;
}

/**
 * Whether the bytes are a password-protected Office document: Office wraps the encrypted package
 * in an OLE compound file, so only the name or content type still says what it was.
 */
export function isEncryptedOffice(contentType: string, name: string, head: Uint8Array): boolean {
  const hint = hinted(contentType, name);
  return magic(head) === 'cfb' && hint !== null && OOXML_FORMATS.has(hint);
}
