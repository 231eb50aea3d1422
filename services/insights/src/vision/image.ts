import sharp, { type Metadata, type Sharp } from './libvips.js';
import { measureSkew, MIN_DESKEW_DEGREES } from './deskew.js';
import { DEFAULT_MAX_PIXELS, VisionError } from './types.js';

/** Formats sharp decodes that people upload as pictures of documents or as photos. */
export type RasterFormat = 'png' | 'jpeg' | 'tiff' | 'gif' | 'webp';

const RASTER_FORMATS: ReadonlySet<string> = new Set<RasterFormat>(['png', 'jpeg', 'tiff', 'gif', 'webp']);

/**
 * The format the bytes are in, from their magic numbers; null when they are not a picture.
 * Declared content types come from the uploader and are often wrong, the bytes are not.
 */
export function sniffRaster(bytes: Uint8Array): RasterFormat | null {
  const at = (i: number): number => bytes[i] ?? -1;
  const ascii = (from: number, text: string): boolean =>
    [...text].every((ch, i) => at(from + i) === ch.charCodeAt(0));
  if (at(0) === 0x89 && ascii(1, 'PNG')) return 'png';
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  if (ascii(0, 'II') && at(2) === 42 && at(3) === 0) return 'tiff';
  if (ascii(0, 'MM') && at(2) === 0 && at(3) === 42) return 'tiff';
  if (ascii(0, 'GIF8')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  return null;
}

function megapixels(pixels: number): string {
  return `${(pixels / 1_000_000).toFixed(1)} megapixels`;
}

export interface OpenedImage {
  format: RasterFormat;
  /** Upright size, after the EXIF orientation is applied. */
  width: number;
  height: number;
  /** Pages (multi-page TIFF) or frames (animated GIF, WebP); 1 for most pictures. */
  pages: number;
  /** Pixels per inch, when the file says. */
  density: number | undefined;
}

/**
 * Reads only the header and checks it against the budget before anything is decoded, so a
 * 100000 × 100000 picture costs a few microseconds, not ten gigabytes. sharp's own
 * `limitInputPixels` stays on as the second guard for the decode itself.
 */
export async function inspectImage(
  bytes: Uint8Array,
  maxPixels = DEFAULT_MAX_PIXELS,
  page = 0,
): Promise<OpenedImage> {
  const sniffed = sniffRaster(bytes);
  if (sniffed === null) {
    throw new VisionError('unreadable', 'not a PNG, JPEG, TIFF, GIF or WebP image (unknown signature)');
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, page }).metadata();
  } catch (err) {
    throw new VisionError('unreadable', `corrupt ${sniffed.toUpperCase()} image: ${reason(err)}`, { cause: err });
  }
  if (!RASTER_FORMATS.has(meta.format)) {
    throw new VisionError('unsupported', `unsupported image format ${meta.format}`);
  }
  // An animated GIF or WebP reports all frames stacked; one frame is what gets decoded.
  const stacked = meta.pageHeight !== undefined && meta.pageHeight !== meta.height;
  const { width, height } = stacked ? { width: meta.width, height: meta.pageHeight ?? 0 } : meta.autoOrient;
  if (!(width > 0 && height > 0)) {
    throw new VisionError('unreadable', `${sniffed.toUpperCase()} image has no size`);
  }
  if (width * height > maxPixels) {
    throw new VisionError(
      'too-large',
      `image is ${width} × ${height} pixels (${megapixels(width * height)}), over the limit of ${megapixels(maxPixels)}`,
    );
  }
  return { format: meta.format as RasterFormat, width, height, pages: meta.pages ?? 1, density: meta.density };
}

/** One page or frame of the picture, with the pixel guard on and EXIF orientation applied. */
export function decode(bytes: Uint8Array, maxPixels: number, page = 0): Sharp {
  // failOn 'error' rejects truncated data instead of handing OCR a half-grey picture.
  return sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', page, pages: 1 }).autoOrient();
}

// Below this many pixels on the longer side, the text in a picture is usually smaller than
// the 20-30 px x-height tesseract reads best (a screenshot, a cropped phone photo).
export const UPSCALE_BELOW = 1600;

export interface NormaliseOptions {
  maxPixels?: number;
  /** Page of a multi-page TIFF, from 0. */
  page?: number;
  /** Turn skewed text straight (see estimateSkew). Default true. */
  deskew?: boolean;
}

// Tesseract sizes its noise filters by the resolution and warns on every picture below
// 70 dpi, which most screenshots and web images claim (72 dpi, before enlarging, read as
// less). What matters is the size of the text in pixels, so a missing or implausible figure
// is replaced by the resolution tesseract is tuned for.
function ocrDensity(density: number | undefined, factor: number): number {
  const scaled = (density ?? 0) * factor;
  return scaled >= 150 && scaled <= 1200 ? Math.round(scaled) : 300;
}

/** The size of a `width` × `height` picture once turned by `degrees` on a larger canvas. */
function turnedSize(width: number, height: number, degrees: number): { width: number; height: number } {
  const radians = (Math.abs(degrees) * Math.PI) / 180;
  const [sin, cos] = [Math.sin(radians), Math.cos(radians)];
  return { width: width * cos + height * sin, height: width * sin + height * cos };
}

/**
 * Greyscale pixels made ready for tesseract: skewed text turned straight on a white canvas
 * large enough for the corners, small pictures enlarged twice (`enlarge`), all within
 * `maxPixels`; out comes a PNG recording `density` (or the one tesseract is tuned for).
 */
export async function finishForOcr(
  grey: Sharp,
  size: { width: number; height: number },
  opts: { maxPixels: number; deskew: boolean; enlarge: boolean; density?: number | undefined },
): Promise<{ png: Buffer; width: number; height: number; skew: number }> {
  const measured = opts.deskew ? await measureSkew(grey) : 0;
  const skew = Math.abs(measured) >= MIN_DESKEW_DEGREES ? measured : 0;
  const turned = turnedSize(size.width, size.height, skew);
  // Turning enlarges the canvas; near the budget the picture shrinks a little to make room.
  const factor = Math.min(opts.enlarge ? 2 : 1, Math.sqrt(opts.maxPixels / (turned.width * turned.height)));
  let pipeline = grey;
  if (factor !== 1) pipeline = pipeline.resize({ width: Math.floor(size.width * factor), kernel: 'lanczos3' });
  if (skew !== 0) pipeline = pipeline.rotate(-skew, { background: '#ffffff' });
  pipeline = pipeline.withDensity(ocrDensity(opts.density, factor));
  // Tesseract decodes it at once: spend no time compressing.
  const { data, info } = await pipeline.png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
  return { png: data, width: info.width, height: info.height, skew };
}

/**
 * Prepares a picture for tesseract: upright (EXIF), flattened on white (dark text on a
 * transparent background would otherwise turn black on black), greyscale, straightened,
 * small pictures enlarged twice, all within `maxPixels`; out comes a PNG.
 */
export async function normaliseForOcr(
  bytes: Uint8Array,
  opts: NormaliseOptions = {},
): Promise<{ png: Buffer; width: number; height: number; skew: number }> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const image = await inspectImage(bytes, maxPixels, opts.page ?? 0);
  try {
    const grey = decode(bytes, maxPixels, opts.page ?? 0)
      .flatten({ background: '#ffffff' })
      .greyscale();
    return await finishForOcr(grey, image, {
      maxPixels,
      deskew: opts.deskew ?? true,
      enlarge: Math.max(image.width, image.height) < UPSCALE_BELOW,
      density: image.density,
    });
  } catch (err) {
    throw asImageError(err, `${image.format.toUpperCase()} image`);
  }
}

/** Maps a sharp failure while decoding `what` ("PNG image", "drawn PDF page 3") to the error the caller sees. */
export function asImageError(err: unknown, what: string): VisionError {
  if (err instanceof VisionError) return err;
  const message = reason(err);
  if (/pixel limit/i.test(message)) {
    return new VisionError('too-large', `image is over the pixel limit: ${message}`, { cause: err });
  }
  return new VisionError('unreadable', `corrupt ${what}: ${message}`, { cause: err });
}

export function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]?.trim() ?? 'unknown error';
}
