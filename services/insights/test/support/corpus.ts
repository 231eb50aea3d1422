/**
 * A corpus made on the spot: images of known text, PDFs with and without a text layer, and
 * hostile files. Tests plant words they know, so what OCR, extraction or search finds can be
 * checked against the truth instead of against a stored fixture.
 */
import { existsSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import {
  concatTransformationMatrix,
  drawObject,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  StandardFonts,
} from 'pdf-lib';
import sharp from 'sharp';
import { zip } from '../extract/corpus.js';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';

/** The DejaVu faces the helpers draw with; they ship on this machine kind's base image. */
export const FONTS = {
  sans: { file: 'DejaVuSans.ttf', family: 'Corpus Sans' },
  serif: { file: 'DejaVuSerif.ttf', family: 'Corpus Serif' },
  mono: { file: 'DejaVuSansMono.ttf', family: 'Corpus Mono' },
} as const;

export type CorpusFont = keyof typeof FONTS;

const registered = new Set<CorpusFont>();

// Canvas silently falls back to whatever font it finds when a family is unknown, which would
// make OCR figures depend on the machine; a missing font must stop the test instead.
function ensureFont(font: CorpusFont): string {
  const { file, family } = FONTS[font];
  if (registered.has(font)) return family;
  const path = `${FONT_DIR}/${file}`;
  if (!existsSync(path)) {
    throw new Error(`corpus: font ${path} is missing (install fonts-dejavu-core)`);
  }
  if (GlobalFonts.registerFromPath(path, family) === null) {
    throw new Error(`corpus: font ${path} could not be registered with @napi-rs/canvas`);
  }
  registered.add(font);
  return family;
}

export interface RenderTextOptions {
  /** Pixel height of the font; 28 px is 10 pt text scanned at 200 dpi. Default 28. */
  fontSize?: number;
  font?: CorpusFont;
  /** Canvas width; default fits the longest line plus the margins. */
  width?: number;
  /** Margin on every side, in pixels. Default one font size. */
  margin?: number;
  /** Line height as a multiple of the font size. Default 1.5. */
  lineHeight?: number;
}

/** Black text on white, one line per entry, as a PNG: a clean "scan" of known words. */
export function renderTextPng(lines: string[], opts: RenderTextOptions = {}): Buffer {
  const fontSize = opts.fontSize ?? 28;
  const family = ensureFont(opts.font ?? 'sans');
  const margin = opts.margin ?? fontSize;
  const lineHeight = Math.round(fontSize * (opts.lineHeight ?? 1.5));
  const fontSpec = `${fontSize}px "${family}"`;

  const measure = createCanvas(1, 1).getContext('2d');
  measure.font = fontSpec;
  const longest = Math.max(1, ...lines.map((line) => measure.measureText(line).width));
  const width = opts.width ?? Math.ceil(longest + 2 * margin);
  const height = Math.max(1, lines.length) * lineHeight + 2 * margin;

  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.font = fontSpec;
  ctx.textBaseline = 'top';
  lines.forEach((line, i) => ctx.fillText(line, margin, margin + i * lineHeight));
  return canvas.toBuffer('image/png');
}

/** The same picture as a JPEG (lossy, as phone photos and scanners send them). */
export function toJpeg(png: Buffer, quality = 85): Promise<Buffer> {
  return sharp(png).jpeg({ quality }).toBuffer();
}

/** The same picture as a TIFF (LZW, as office scanners send them). */
export function toTiff(png: Buffer): Promise<Buffer> {
  return sharp(png).tiff({ compression: 'lzw' }).toBuffer();
}

export function toWebp(png: Buffer): Promise<Buffer> {
  return sharp(png).webp().toBuffer();
}

export function toGif(png: Buffer): Promise<Buffer> {
  return sharp(png).gif().toBuffer();
}

/**
 * The picture stored upright but tagged with an EXIF orientation, as a phone camera does: a
 * reader that ignores the tag sees it turned. `orientation` 6 means "rotate 90° clockwise to
 * view", so the pixels are stored turned the other way.
 */
export async function withExifOrientation(png: Buffer, orientation: 3 | 6 | 8): Promise<Buffer> {
  const stored = { 3: 180, 6: 270, 8: 90 }[orientation];
  return sharp(png).rotate(stored).jpeg({ quality: 90 }).withMetadata({ orientation }).toBuffer();
}

/**
 * The picture as an office scanner or a phone would deliver it: turned a little, slightly
 * soft, on off-white paper with some grain, saved as a mediocre JPEG.
 */
export async function scanLike(png: Buffer, opts: { degrees?: number; quality?: number } = {}): Promise<Buffer> {
  const { width, height } = await sharp(png).metadata();
  // Deterministic grain: the same picture gives the same scan, so a CER figure is repeatable.
  const grain = Buffer.alloc(width * height);
  let seed = 12345;
  for (let i = 0; i < grain.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    grain[i] = 128 + ((seed >> 16) % 25) - 12;
  }
  const noise = await sharp(grain, { raw: { width, height, channels: 1 } }).png().toBuffer();
  return sharp(png)
    .greyscale()
    .composite([{ input: noise, blend: 'overlay' }])
    .linear(0.85, 30)
    .blur(0.6)
    .rotate(opts.degrees ?? 1.2, { background: '#f4f1ea' })
    .jpeg({ quality: opts.quality ?? 60 })
    .toBuffer();
}

const A4 = { width: 595.28, height: 841.89 };

/**
 * A PDF whose pages are only pictures (one per PNG, filling an A4 page): what a scanner makes.
 * There is no text layer, so only OCR can read it.
 */
export async function imageOnlyPdf(pngs: Buffer[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (const png of pngs) {
    const image = await doc.embedPng(png);
    // Fit the page width, keep the aspect: the rendered page then has a known scale.
    const scale = A4.width / image.width;
    const page = doc.addPage([A4.width, Math.max(A4.height, image.height * scale)]);
    page.drawImage(image, {
      x: 0,
      y: page.getHeight() - image.height * scale,
      width: image.width * scale,
      height: image.height * scale,
    });
  }
  return doc.save();
}

/** A PDF with a real text layer in Helvetica: one page per entry, one line per string. */
export async function textPdf(pages: string[][], opts: { fontSize?: number } = {}): Promise<Uint8Array> {
  const fontSize = opts.fontSize ?? 12;
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = doc.addPage([A4.width, A4.height]);
    lines.forEach((line, i) => {
      page.drawText(line, { x: 56, y: A4.height - 72 - i * fontSize * 1.5, size: fontSize, font });
    });
  }
  return doc.save();
}

/** A PDF with one page of `width` × `height` points (pdf-lib allows up to 14400, 200 inches). */
export async function blankPdf(width: number, height: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage([width, height]);
  return doc.save();
}

/**
 * A one-page PDF whose page paints a black image XObject of `width` × `height` grey pixels,
 * deflated to a thousandth of its size: the PDF form of a decompression bomb. Up to 64
 * megapixels the stream holds every pixel (a renderer without an image size limit decodes
 * them all and paints the page black); above, only the first row (a header that lies).
 */
export async function pdfWithImageBomb(width = 100_000, height = 100_000): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([A4.width, A4.height]);
  const pixels = width * height <= 64_000_000 ? width * height : width;
  const stream = doc.context.flateStream(new Uint8Array(pixels), {
    Type: 'XObject',
    Subtype: 'Image',
    Width: width,
    Height: height,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 8,
  });
  const name = page.node.newXObject('Bomb', doc.context.register(stream));
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(A4.width - 100, 0, 0, A4.height - 100, 50, 50),
    drawObject(name),
    popGraphicsState(),
  );
  return doc.save();
}

// one zip writer for every test corpus: the extraction tests'
export { type ZipEntry, zip } from '../extract/corpus.js';

export const ODT_TYPE = 'application/vnd.oasis.opendocument.text';
export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** An OpenDocument text with one paragraph and, if given, the thumbnail LibreOffice would store. */
export function odt(paragraph: string, thumbnail?: Buffer): Uint8Array {
  const content =
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content ' +
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ' +
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">' +
    `<office:body><office:text><text:p>${paragraph}</text:p></office:text></office:body></office:document-content>`;
  return zip([
    { name: 'mimetype', data: ODT_TYPE, store: true },
    { name: 'content.xml', data: content },
    ...(thumbnail ? [{ name: 'Thumbnails/thumbnail.png', data: thumbnail }] : []),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a valid PNG of a few hundred bytes whose header claims
 * `width` × `height` pixels (default 100000 × 100000, 10 gigapixels). A decoder that believes
 * the header before checking a limit allocates tens of gigabytes.
 */
export function pngBomb(width = 100_000, height = 100_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // One row of zeros, deflated: enough for a decoder to start, far from the claimed size.
  const idat = deflateSync(Buffer.alloc(width + 1));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The first bytes of a real PNG followed by garbage: a truncated or damaged upload. */
export function corruptPng(png: Buffer): Buffer {
  const head = png.subarray(0, Math.min(png.length, 64));
  return Buffer.concat([head, Buffer.from('this is not image data '.repeat(20))]);
}

// OCR may differ from the truth in spacing, line breaks and typographic look-alikes without
// having misread anything a reader or a search index cares about.
function normaliseForCer(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201a\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Levenshtein distance by code point, two rows at a time. */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  let current = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    current[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[y.length] ?? 0;
}

/**
 * Character error rate: edits needed to turn the OCR output into the truth, per character of
 * the truth, after whitespace and typographic look-alikes are normalised. 0 is perfect; it can
 * exceed 1 when the output is much longer than the truth.
 */
export function cer(expected: string, actual: string): number {
  const truth = normaliseForCer(expected);
  const seen = normaliseForCer(actual);
  if (truth.length === 0) return seen.length === 0 ? 0 : 1;
  return levenshtein(truth, seen) / [...truth].length;
}
