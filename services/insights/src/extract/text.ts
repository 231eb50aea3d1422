import { Parser } from 'htmlparser2';
import { addPassage, type ReadContext, type ReadResult } from './context.js';
import { ExtractionFailure } from './types.js';

/**
 * Bytes to a string: a UTF-8 or UTF-16 byte-order mark decides; without one, UTF-16 is recognised
 * by its zero bytes and anything else is read as UTF-8. Invalid sequences become U+FFFD.
 */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const guess = guessUtf16(bytes);
  // ignoreBOM keeps a stray BOM from being eaten twice; the ones above are already stripped
  return new TextDecoder(guess ?? 'utf-8', { ignoreBOM: true }).decode(bytes);
}

/** UTF-16 without a BOM: mostly ASCII text leaves a zero in every other byte. */
function guessUtf16(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const sample = Math.min(bytes.length, 4096) & ~1;
  if (sample < 8) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < sample; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = sample / 2;
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.05) return 'utf-16be';
  return null;
}

/**
 * Bytes sent as text with zero bytes all over them, in no UTF-16 layout, are some binary file
 * misnamed; indexing them would only store noise. A stray NUL in real text is tolerated (and dropped).
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const hasBom = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (hasBom || guessUtf16(bytes)) return false;
  const sample = bytes.subarray(0, 8192);
  let zeros = 0;
  for (const byte of sample) if (byte === 0) zeros++;
  return zeros >= 4 && zeros >= sample.length / 100;
}

// The inline rules backtrack on lines of markers; a line this long is no prose and is kept as is
const MAX_INLINE_LINE = 10_000;

/** Markdown to its readable text: markers, link targets, images and HTML go; words and code stay. */
export function markdownToText(source: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of source.replace(/\r\n?/g, '\n').split('\n')) {
    const fenceMark = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceMark && (fence === null || fenceMark.startsWith(fence))) {
      fence = fence === null ? fenceMark : null;
      continue;
    }
    if (fence !== null) {
      out.push(line);
      continue;
    }
    // link reference definitions and rules carry no text
    if (/^\s{0,3}\[[^\]]+\]:\s*\S/.test(line) || /^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) continue;
    // a table's separator row
    if (/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line)) continue;
    out.push(line.length > MAX_INLINE_LINE ? line : markdownInline(markdownBlock(line)));
  }
  return out.join('\n');
}

function markdownBlock(line: string): string {
  return line
    .replace(/^\s{0,3}(>\s?)+/, '')
    .replace(/^\s{0,3}#{1,6}\s+/, '')
    .replace(/\s+#+\s*$/, '')
    .replace(/^\s*([-*+]|\d{1,9}[.)])\s+(\[[ xX]\]\s+)?/, '')
    .replace(/^(=+|-+)\s*$/, '');
}

function markdownInline(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<(https?:[^>\s]+)>/g, '$1')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/(`+)(.+?)\1/g, '$2')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(\*|_)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '$1')
    .replace(/^\s*\|\s*/, '')
    .replace(/\s*\|\s*$/, '')
    .replace(/\s*\|\s*/g, '\t')
    .replace(/\\([\\`*_{}[\]()#+\-.!|])/g, '$1');
}

// Elements whose content is not text a reader sees
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'head', 'svg', 'math', 'iframe', 'object']);
const BLOCKS = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr',
  'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'title', 'tr', 'ul',
]);
const CELLS = new Set(['td', 'th']);

/** HTML to its visible text: scripts, styles and markup go, entities are decoded, blocks become lines. */
export function htmlToText(source: string): string {
  const parts: string[] = [];
  let skipping = 0;
  let pre = 0;
  // head is skipped but a title is worth keeping
  let inTitle = false;
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        else if (SKIPPED.has(name)) skipping++;
        if (name === 'pre') pre++;
        if (BLOCKS.has(name)) parts.push('\n');
        else if (CELLS.has(name)) parts.push('\t');
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        else if (SKIPPED.has(name)) skipping = Math.max(0, skipping - 1);
        if (name === 'pre') pre = Math.max(0, pre - 1);
        if (BLOCKS.has(name)) parts.push('\n');
      },
      ontext(text) {
        if (skipping > 0 && !inTitle) return;
        parts.push(pre > 0 ? text : text.replace(/\s+/g, ' '));
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(source);
  parser.end();
  return parts
    .join('')
    .split('\n')
    .map((line) => line.replace(/^[ \t]+/, ''))
    .join('\n');
}

/** CSV (or TSV, or semicolon-separated) to its cells as text: a tab between cells, a line per row. */
export function csvToText(source: string): string {
  const delimiter = guessDelimiter(source);
  const rows: string[] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quoted) {
      if (ch === '"') {
        if (source[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"' && cell.trim() === '') {
      cell = '';
      quoted = true;
    } else if (ch === delimiter) {
      row.push(cell.trim());
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && source[i + 1] === '\n') i++;
      row.push(cell.trim());
      rows.push(row.filter((c) => c !== '').join('\t'));
      row = [];
      cell = '';
    } else cell += ch;
  }
  row.push(cell.trim());
  rows.push(row.filter((c) => c !== '').join('\t'));
  return rows.join('\n');
}

function guessDelimiter(source: string): string {
  const firstLine = source.slice(0, 4096).split(/\r?\n/, 1)[0] ?? '';
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t', '|']) {
    const count = firstLine.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** Reads the flat text formats: one passage, no pages. */
export function readTextFormat(format: 'text' | 'markdown' | 'html' | 'csv', bytes: Uint8Array, ctx: ReadContext): ReadResult {
  if (looksBinary(bytes)) throw new ExtractionFailure('unsupported', 'the file is sent as text but holds binary data');
  // No more bytes are decoded than could fill the text budget (4 bytes a character at most in
  // UTF-8, and markup in HTML and Markdown that is dropped), so a huge file costs no huge strings
  const cap = (format === 'html' || format === 'markdown' ? 16 : 4) * ctx.limits.maxChars;
  let head = bytes;
  if (bytes.byteLength > cap) {
    head = bytes.subarray(0, cap & ~1);
    ctx.budget.truncated = true;
  }
  const source = decodeText(head);
  const text =
    format === 'markdown' ? markdownToText(source)
    : format === 'html' ? htmlToText(source)
    : format === 'csv' ? csvToText(source)
    : source;
  const passages: ReadResult['passages'] = [];
  addPassage(passages, ctx, null, text);
  return { passages, pages: 1, ocrPages: 0, ocr: false };
}
