import sharp, { type Sharp } from './libvips.js';
import { POINTS_PER_INCH } from './render.js';
import type { PDFPageProxy } from './types.js';

/*
 * A scanned page is, in most PDFs, one picture drawn over the whole page and nothing else. Its
 * pixels are what OCR wants: taken as they are, they cost one decoded image, where drawing the
 * page at 300 dpi costs a full-page canvas, a copy of the picture to draw it from, and a
 * larger picture for tesseract (a 200 dpi A4 scan is 3.9 megapixels; drawn at 300 dpi, 8.7).
 * A page that does anything else (text, vector art, several pictures, masks, a skewed or
 * mirrored placement) is drawn, as before.
 */

/** What a scanned page is made of, read from its operator list: the picture and where it lies. */
export interface PageScan {
  /** The picture's pixels as sharp reads them: greyscale, upright, on white. */
  grey: Sharp;
  width: number;
  height: number;
  /** Its resolution on the page (pixels per inch across). */
  density: number;
}

/** pdf.js's ImageKind (not exported by its build): how a decoded picture's bytes are laid out. */
const GRAYSCALE_1BPP = 1;
const RGB_24BPP = 2;
const RGBA_32BPP = 3;

/** The picture must cover this share of the page: a stamp or a logo on a blank page is drawn. */
const MIN_COVER = 0.5;

type Matrix = [number, number, number, number, number, number];

function multiply(m: Matrix, n: readonly number[]): Matrix {
  const [a, b, c, d, e, f] = n as Matrix;
  return [m[0] * a + m[2] * b, m[1] * a + m[3] * b, m[0] * c + m[2] * d, m[1] * c + m[3] * d, m[0] * e + m[2] * f + m[4], m[1] * e + m[3] * f + m[5]];
}

interface DecodedImage {
  width: number;
  height: number;
  kind?: number;
  data?: Uint8Array | Uint8ClampedArray;
}

function objectOf(page: PDFPageProxy, id: string): Promise<DecodedImage | null> {
  const store = id.startsWith('g_') ? page.commonObjs : page.objs;
  return new Promise((resolve) => store.get(id, (data: unknown) => resolve((data as DecodedImage | null) ?? null)));
}

/** 1 bit per pixel, rows padded to a byte, a set bit white (as pdf.js draws them) → one byte per pixel. */
export function unpackBits(packed: Uint8Array, width: number, height: number): Buffer {
  const rowBytes = Math.ceil(width / 8);
  const out = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    for (let x = 0; x < width; x++) out[y * width + x] = (packed[row + (x >> 3)]! & (0x80 >> (x & 7))) !== 0 ? 255 : 0;
  }
  return out;
}

/**
 * The page's one picture when the page is a plain scan (see above), or null when it must be
 * drawn. The picture's memory is pdf.js's until `page.cleanup()`; sharp reads it without a copy.
 */
export async function pageScan(page: PDFPageProxy): Promise<PageScan | null> {
  const { OPS } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const allowed = new Set<number>([OPS.save, OPS.restore, OPS.transform, OPS.dependency, OPS.beginMarkedContent, OPS.beginMarkedContentProps, OPS.endMarkedContent]);
  const { fnArray, argsArray } = await page.getOperatorList();
  const stack: Matrix[] = [];
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  let found: { id: string; at: Matrix } | null = null;
  for (let i = 0; i < fnArray.length; i++) {
    const op = fnArray[i]!;
    const args = argsArray[i] as unknown[] | null;
    if (op === OPS.paintImageXObject) {
      if (found || typeof args?.[0] !== 'string') return null;
      found = { id: args[0], at: ctm };
    } else if (!allowed.has(op)) {
      return null;
    } else if (op === OPS.save) {
      stack.push(ctm);
    } else if (op === OPS.restore) {
      ctm = stack.pop() ?? [1, 0, 0, 1, 0, 0];
    } else if (op === OPS.transform) {
      ctm = multiply(ctm, args as number[]);
    }
  }
  if (!found) return null;
  // upright and not mirrored: the unit square drawn a wide and d high
  const [a, b, c, d] = found.at;
  if (b !== 0 || c !== 0 || !(a > 0) || !(d > 0)) return null;
  const [x0, y0, x1, y1] = page.view as [number, number, number, number];
  if (a * d < MIN_COVER * Math.abs((x1 - x0) * (y1 - y0))) return null;
  const image = await objectOf(page, found.id);
  if (!image?.data || !(image.width > 0 && image.height > 0)) return null;
  const { width, height, kind, data } = image;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let grey: Sharp;
  if (kind === GRAYSCALE_1BPP) grey = sharp(unpackBits(bytes, width, height), { raw: { width, height, channels: 1 } }).greyscale();
  else if (kind === RGB_24BPP && bytes.length >= width * height * 3) grey = sharp(bytes, { raw: { width, height, channels: 3 } }).greyscale();
  else if (kind === RGBA_32BPP && bytes.length >= width * height * 4) grey = sharp(bytes, { raw: { width, height, channels: 4 } }).flatten({ background: '#ffffff' }).greyscale();
  else return null;
  const density = width / (a / POINTS_PER_INCH);
  // the page's /Rotate turns what is shown (clockwise, in quarter turns); so does sharp's rotate
  const turn = ((page.rotate % 360) + 360) % 360;
  if (turn !== 0) {
    // sharp applies a rotation after the other operations of one pipeline: the turned picture
    // is made first, as raw grey pixels, so that what follows sees it upright
    const { data: turned, info } = await grey.rotate(turn).raw().toBuffer({ resolveWithObject: true });
    return { grey: sharp(turned, { raw: { width: info.width, height: info.height, channels: info.channels } }).greyscale(), width: info.width, height: info.height, density };
  }
  return { grey, width, height, density };
}
