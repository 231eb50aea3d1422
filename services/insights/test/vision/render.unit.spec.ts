import { getDocument, type PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderPdfPage, VisionError } from '../../src/vision/index.js';
import { renderScale } from '../../src/vision/render.js';
import { textPdf } from '../support/corpus.js';

// OCR and drawing share two cores with other work here: generous limits, never timed assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let doc: PDFDocumentProxy;

beforeAll(async () => {
  doc = await getDocument({ data: await textPdf([['A page to draw: copper kettle']]), verbosity: 0 }).promise;
});

afterAll(async () => {
  await doc.destroy();
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return null;
}

describe('renderPdfPage', () => {
  it('draws an A4 page at 300 dpi by default, as a PNG', async () => {
    const png = await renderPdfPage(await doc.getPage(1));
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    // 595.28 × 841.89 pt at 300/72 px per pt.
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 2480, height: 3507 });
    const stats = await sharp(png).stats();
    // White paper (not transparent or black) with dark glyphs on it.
    expect(stats.channels[0]!.max).toBe(255);
    expect(stats.channels[0]!.min).toBeLessThan(64);
  });

  it('draws at a target width or at a scale', async () => {
    const page = await doc.getPage(1);
    expect(await sharp(await renderPdfPage(page, { targetWidth: 600 })).metadata()).toMatchObject({ width: 600, height: 848 });
    expect(await sharp(await renderPdfPage(page, { scale: 1 })).metadata()).toMatchObject({ width: 595, height: 841 });
  });

  it('scales down to stay within maxPixels', async () => {
    const png = await renderPdfPage(await doc.getPage(1), { maxPixels: 1_000_000 });
    const { width, height } = await sharp(png).metadata();
    expect(width * height).toBeLessThanOrEqual(1_000_000);
    expect(width * height).toBeGreaterThan(950_000);
  });

  it('gives up with a timeout error when its signal is aborted', async () => {
    const err = await renderPdfPage(await doc.getPage(1), { signal: AbortSignal.abort() }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VisionError);
    expect(err).toMatchObject({ code: 'timeout' });
  });
});

describe('renderScale', () => {
  const a4 = { width: 595.28, height: 841.89 };

  it('is 300 dpi unless told otherwise', () => {
    expect(renderScale(a4)).toBeCloseTo(300 / 72, 6);
    expect(renderScale(a4, { targetWidth: 1190.56 })).toBeCloseTo(2, 6);
  });

  it('keeps a poster within the pixel budget and the canvas side limit', () => {
    // A0 at 300 dpi would be 140 megapixels.
    const a0 = { width: 2384, height: 3370 };
    const scale = renderScale(a0);
    expect(a0.width * scale * a0.height * scale).toBeLessThanOrEqual(25_000_001);
    // A banner a hundred metres long fits the 16384 px side limit.
    const banner = { width: 283_465, height: 200 };
    expect(banner.width * renderScale(banner)).toBeLessThanOrEqual(16_384);
  });

  it('refuses a page that cannot be drawn at all', () => {
    expect(thrown(() => renderScale({ width: 0, height: 100 }))).toMatchObject({ code: 'unreadable' });
    expect(thrown(() => renderScale({ width: Number.NaN, height: 100 }))).toMatchObject({ code: 'unreadable' });
    // So thin that fitting its length leaves less than a pixel of height.
    expect(thrown(() => renderScale({ width: 10_000_000, height: 1 }))).toMatchObject({
      code: 'too-large',
      message: expect.stringMatching(/cannot be drawn/),
    });
    expect(thrown(() => renderScale(a4, { scale: -1 }))).toMatchObject({ code: 'unsupported' });
  });
});
