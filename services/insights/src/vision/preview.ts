import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import sharp, { type Sharp } from './libvips.js';
import { asImageError, decode, inspectImage, reason, sniffRaster } from './image.js';
import { isOfficeZip, officeThumbnail } from './office.js';
import { drawPdfPage, pdfDocumentOptions, releasePixels } from './render.js';
import { DEFAULT_MAX_PIXELS, VisionError } from './types.js';

export interface PreviewInput {
  bytes: Uint8Array;
  contentType: string;
}

export interface PreviewOptions {
  /** Width of the thumbnail; pictures narrower than this keep their size. Default 480. */
  width?: number;
  /** Default WebP (a third of PNG's size for photos and pages); PNG where WebP will not do. */
  format?: 'webp' | 'png';
  /** Largest picture decoded or page drawn, in pixels. Default 25 megapixels. */
  maxPixels?: number;
  /** Time budget for a PDF's first page, parsing included. Default 15 s. */
  timeoutMs?: number;
}

export interface Preview {
  bytes: Buffer;
  contentType: 'image/webp' | 'image/png';
  width: number;
  height: number;
}

const DEFAULT_WIDTH = 480;
const DEFAULT_TIMEOUT_MS = 15_000;
// A thumbnail of a till receipt or a banner is cut off below this many widths, so a
// 480 × 100000 strip cannot come back from a small upload.
const MAX_ASPECT = 4;

// Content types that promise a picture or a PDF; the bytes are sniffed first, these only
// decide that bytes we cannot recognise are a broken picture rather than "no visual".
const RASTER_TYPES = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/tiff', 'image/gif', 'image/webp']);
const PDF_TYPES = new Set(['application/pdf', 'application/x-pdf']);

// Readers accept the header a little way in, after some junk; only a declared PDF gets that
// benefit, or a text file that mentions "%PDF-" would be taken for one.
function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 5)).toString('latin1') === '%PDF-';
}

/**
 * A thumbnail of a picture (PNG, JPEG, TIFF, GIF, WebP: first page or frame, upright) or of
 * a PDF's first page, `width` pixels wide (default 480), as WebP unless PNG is asked for.
 * Office documents (OpenDocument, OOXML) show the thumbnail their suite stored in them, if
 * any, at its own size (about 256 pixels). Null for formats with nothing to show (text, an
 * office file saved without a thumbnail). Pixel counts, the page (only the first) and the
 * time a PDF may take are bounded; a broken or oversized file ends in a `VisionError`.
 */
export async function makePreview(input: PreviewInput, opts: PreviewOptions = {}): Promise<Preview | null> {
  const width = opts.width ?? DEFAULT_WIDTH;
  if (!(Number.isInteger(width) && width > 0 && width <= 4096)) {
    throw new VisionError('unsupported', `preview width must be a whole number of pixels up to 4096, got ${width}`);
  }
  const settings = {
    width,
    format: opts.format ?? 'webp',
    maxPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  } as const;
  const type = input.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  // Text that happens to begin like a signature ("GIF89a is a format…") is still text.
  if (type.startsWith('text/')) return null;
  if (sniffRaster(input.bytes) !== null || RASTER_TYPES.has(type)) return rasterPreview(input.bytes, settings);
  if (isPdf(input.bytes) || PDF_TYPES.has(type)) return pdfPreview(input.bytes, settings);
  if (isOfficeZip(input.bytes, type)) {
    // The suite's own picture of the first page, when it saved one: small, but true.
    const stored = await officeThumbnail(input.bytes);
    return stored === null ? null : rasterPreview(stored, settings);
  }
  return null;
}

type Settings = Required<PreviewOptions>;

async function thumbnail(image: Sharp, settings: Settings, what: string): Promise<Preview> {
  try {
    const resized = image.resize({
      width: settings.width,
      height: settings.width * MAX_ASPECT,
      fit: 'inside',
      withoutEnlargement: true,
    });
    const encoded = settings.format === 'png' ? resized.png() : resized.webp({ quality: 80 });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return {
      bytes: data,
      contentType: settings.format === 'png' ? 'image/png' : 'image/webp',
      width: info.width,
      height: info.height,
    };
  } catch (err) {
    throw asImageError(err, what);
  }
}

async function rasterPreview(bytes: Uint8Array, settings: Settings): Promise<Preview> {
  const image = await inspectImage(bytes, settings.maxPixels);
  return thumbnail(decode(bytes, settings.maxPixels), settings, `${image.format.toUpperCase()} image`);
}

async function pdfPreview(bytes: Uint8Array, settings: Settings): Promise<Preview> {
  // pdf.js takes the buffer over; the caller keeps theirs.
  const task = getDocument({ data: new Uint8Array(bytes), ...pdfDocumentOptions(settings.maxPixels) });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  const abandoned = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () =>
      reject(new VisionError('timeout', `PDF preview took over ${settings.timeoutMs} ms and was abandoned`)),
    );
  });
  try {
    const draw = async (): Promise<Preview> => {
      let page;
      try {
        const doc = await task.promise;
        page = await doc.getPage(1);
      } catch (err) {
        throw new VisionError('unreadable', `PDF could not be opened: ${reason(err)}`, { cause: err });
      }
      // Twice the thumbnail's width, then reduced by sharp: thin strokes stay visible.
      const canvas = await drawPdfPage(page, {
        targetWidth: settings.width * 2,
        maxPixels: settings.maxPixels,
        signal: controller.signal,
      });
      const { width, height } = canvas;
      const pixels = sharp(releasePixels(canvas), { raw: { width, height, channels: 4 } });
      return thumbnail(pixels, settings, 'drawn PDF page 1');
    };
    return await Promise.race([draw(), abandoned]);
  } finally {
    clearTimeout(timer);
    await task.destroy();
  }
}
