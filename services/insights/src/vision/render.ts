import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { DEFAULT_MAX_PIXELS, VisionError, type PDFPageProxy } from './types.js';
import { reason } from './image.js';

/** PDF user space is 1/72 inch; 300 dpi is where tesseract reads body text best. */
export const OCR_DPI = 300;
export const POINTS_PER_INCH = 72;

type RenderParameters = Parameters<PDFPageProxy['render']>[0];

// Skia refuses canvases much wider than this; a page 1 pt high and a mile wide must fail as
// "too large", not as a native error.
const MAX_SIDE = 16_384;

// pdf.js finds its fonts, character maps, colour profiles and image decoders by path; in
// the package they sit beside the build.
function pdfjsAsset(folder: string): string {
  const root = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  return `${join(root, folder)}/`;
}

/**
 * The options to open a PDF with before drawing its pages (pass them to pdf.js's
 * `getDocument` beside `data`): the standard fonts, so text in the 14 standard fonts is
 * drawn; `maxImageSize`, so an embedded image over the pixel budget is left out instead of
 * decoded; no `eval`; quiet.
 */
export function pdfDocumentOptions(maxPixels = DEFAULT_MAX_PIXELS) {
  return {
    standardFontDataUrl: pdfjsAsset('standard_fonts'),
    cMapUrl: pdfjsAsset('cmaps'),
    wasmUrl: pdfjsAsset('wasm'),
    iccUrl: pdfjsAsset('iccs'),
    maxImageSize: maxPixels,
    isEvalSupported: false,
    verbosity: 0,
  };
}

export interface RenderOptions {
  /** Pixels per PDF point. Default 300 dpi (≈ 4.17); ignored when `targetWidth` is given. */
  scale?: number;
  /** Width of the picture in pixels; the height follows the page's aspect. */
  targetWidth?: number;
  /** The picture is scaled down to stay within this many pixels. Default 25 megapixels. */
  maxPixels?: number;
  /** Abandons the render (pdf.js cancels between operator chunks). */
  signal?: AbortSignal;
}

/** The scale a page is drawn at: the requested one, lowered until both pixel caps hold. */
export function renderScale(
  page: { width: number; height: number },
  opts: Pick<RenderOptions, 'scale' | 'targetWidth' | 'maxPixels'> = {},
): number {
  if (!(page.width > 0 && page.height > 0)) {
    throw new VisionError('unreadable', `PDF page has no size (${page.width} × ${page.height} pt)`);
  }
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const wanted = opts.targetWidth !== undefined ? opts.targetWidth / page.width : (opts.scale ?? OCR_DPI / POINTS_PER_INCH);
  if (!(wanted > 0 && Number.isFinite(wanted))) {
    throw new VisionError('unsupported', `render scale must be a positive number, got ${wanted}`);
  }
  const byArea = Math.sqrt(maxPixels / (page.width * page.height));
  const bySide = MAX_SIDE / Math.max(page.width, page.height);
  const scale = Math.min(wanted, byArea, bySide);
  if (Math.floor(page.width * scale) < 1 || Math.floor(page.height * scale) < 1) {
    throw new VisionError(
      'too-large',
      `PDF page of ${page.width} × ${page.height} pt cannot be drawn within ${maxPixels} pixels`,
    );
  }
  return scale;
}

/** Draws the page on a white canvas; shared by the PNG export and by OCR. */
export async function drawPdfPage(page: PDFPageProxy, opts: RenderOptions = {}): Promise<Canvas> {
  const unit = page.getViewport({ scale: 1 });
  const viewport = page.getViewport({ scale: renderScale(unit, opts) });
  const canvas = createCanvas(Math.floor(viewport.width), Math.floor(viewport.height));
  const context = canvas.getContext('2d');
  // pdf.js types its parameters for the DOM; @napi-rs/canvas is what its own Node factory uses.
  const task = page.render({
    canvas: canvas as unknown as RenderParameters['canvas'],
    canvasContext: context as unknown as RenderParameters['canvasContext'],
    viewport,
    background: '#ffffff',
  });
  const abort = (): void => task.cancel();
  if (opts.signal?.aborted) abort();
  opts.signal?.addEventListener('abort', abort, { once: true });
  try {
    await task.promise;
  } catch (err) {
    if (opts.signal?.aborted) throw new VisionError('timeout', 'PDF page rendering was abandoned', { cause: err });
    throw new VisionError('unreadable', `PDF page ${page.pageNumber} could not be drawn: ${reason(err)}`, { cause: err });
  } finally {
    opts.signal?.removeEventListener('abort', abort);
  }
  return canvas;
}

/**
 * The canvas's RGBA pixels as a buffer of their own, and the canvas's surface freed: data()
 * only lends the surface, which would go when the canvas is resized or collected.
 */
export function releasePixels(canvas: Canvas): Buffer {
  const pixels = Buffer.from(canvas.data());
  canvas.width = 1;
  canvas.height = 1;
  return pixels;
}

/**
 * Draws a PDF page as a PNG: at 300 dpi by default (what OCR wants), or at `scale` or
 * `targetWidth`, lowered to stay within `maxPixels` (default 25 megapixels).
 */
export async function renderPdfPage(page: PDFPageProxy, opts: RenderOptions = {}): Promise<Buffer> {
  const canvas = await drawPdfPage(page, opts);
  // encode() runs off the main thread, unlike toBuffer().
  return canvas.encode('png');
}
