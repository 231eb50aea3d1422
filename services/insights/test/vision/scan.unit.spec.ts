import { PDFDocument, PDFName, StandardFonts, concatTransformationMatrix, degrees, drawObject, popGraphicsState, pushGraphicsState } from 'pdf-lib';
import { getDocument, type PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOcrEngine } from '../../src/vision/index.js';
import { pageScan, unpackBits } from '../../src/vision/scan.js';
import { cer, imageOnlyPdf, renderTextPng } from '../support/corpus.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const A4 = { width: 595.28, height: 841.89 };
const LINES = ['Invoice 2024-117 was paid on 3 March by Margaret Holloway.', 'Shipment #5532 left Rotterdam with 240 crates of tiles.'];

async function withPage<T>(pdf: Uint8Array, use: (doc: PDFDocumentProxy) => Promise<T>): Promise<T> {
  const doc = await getDocument({ data: pdf, verbosity: 0 }).promise;
  try {
    return await use(doc);
  } finally {
    await doc.destroy();
  }
}

const scanOf = (pdf: Uint8Array) => withPage(pdf, async (doc) => {
  const scan = await pageScan(await doc.getPage(1));
  return scan && { width: scan.width, height: scan.height, density: scan.density, pixels: await scan.grey.raw().toBuffer({ resolveWithObject: true }) };
});

/** One A4 page, a picture drawn with `place` (x, y, width, height in points), and text when asked. */
async function pageWith(png: Buffer, place: { x: number; y: number; width: number; height: number }, opts: { text?: string; rotate?: number } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([A4.width, A4.height]);
  page.drawImage(await doc.embedPng(png), place);
  if (opts.text) page.drawText(opts.text, { x: 40, y: 40, size: 12, font: await doc.embedFont(StandardFonts.Helvetica) });
  if (opts.rotate) page.setRotation(degrees(opts.rotate));
  return doc.save();
}

/** A page painting a 1-bit picture (what fax-like scanners make): 16 × 2 pixels, left half black. */
async function oneBitPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([A4.width, A4.height]);
  // DeviceGray at 1 bit: 0 is black; each row is 2 bytes
  const stream = doc.context.flateStream(new Uint8Array([0x00, 0xff, 0x00, 0xff]), {
    Type: 'XObject',
    Subtype: 'Image',
    Width: 16,
    Height: 2,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 1,
  });
  const name = page.node.newXObject('Scan', doc.context.register(stream));
  page.pushOperators(pushGraphicsState(), concatTransformationMatrix(A4.width, 0, 0, A4.height, 0, 0), drawObject(name), popGraphicsState());
  return doc.save();
}

describe('the picture of a scanned PDF page, taken as it is', () => {
  // a page-shaped picture, as a scanner makes it: A4 at 200 dpi, the text at its top
  let png: Buffer;
  beforeAll(async () => {
    const sharp = (await import('sharp')).default;
    png = await sharp({ create: { width: 1654, height: 2339, channels: 3, background: '#ffffff' } })
      .composite([{ input: renderTextPng(LINES, { fontSize: 32 }), left: 40, top: 40 }])
      .png()
      .toBuffer();
  });

  it('is the page’s one picture at its own size and resolution', async () => {
    const scan = await scanOf(await imageOnlyPdf([png]));
    expect(scan).not.toBeNull();
    expect(scan!.width).toBe(1654);
    // 1654 px across 8.27 in
    expect(scan!.density).toBeCloseTo(1654 / (A4.width / 72), 3);
    expect(scan!.pixels.info.channels).toBe(1);
  });

  it('is not taken from a page that also has text, a picture covering little of it, or a mirrored picture', async () => {
    expect(await scanOf(await pageWith(png, full, { text: 'page 3 of 7' }))).toBeNull();
    expect(await scanOf(await pageWith(png, { x: 100, y: 100, width: 200, height: 280 }))).toBeNull();
    expect(await scanOf(await pageWith(png, { x: A4.width, y: 0, width: -A4.width, height: A4.height }))).toBeNull();
    // nothing to take: a page of text
    const text = await PDFDocument.create();
    text.addPage([A4.width, A4.height]).drawText('only text', { x: 50, y: 50, font: await text.embedFont(StandardFonts.Helvetica) });
    expect(await scanOf(await text.save())).toBeNull();
  });

  it('turns the picture as the page’s /Rotate turns what is shown', async () => {
    const scan = await scanOf(await pageWith(png, full, { rotate: 90 }));
    expect(scan).not.toBeNull();
    expect([scan!.width, scan!.height]).toEqual([2339, 1654]);
  });

  it('reads a 1-bit picture: a set bit is white', async () => {
    const scan = await scanOf(await oneBitPdf());
    expect(scan).not.toBeNull();
    expect([...scan!.pixels.data]).toEqual([...Array(8).fill(0), ...Array(8).fill(255), ...Array(8).fill(0), ...Array(8).fill(255)]);
    expect([...unpackBits(Uint8Array.from([0b10100000]), 3, 1)]).toEqual([255, 0, 255]);
  });

  it('is never used from a page whose content is not only a picture', async () => {
    // pdf-lib names the painted object; a page with two of them is drawn
    const doc = await PDFDocument.create();
    const page = doc.addPage([A4.width, A4.height]);
    const image = await doc.embedPng(png);
    page.drawImage(image, full);
    page.drawImage(image, { x: 0, y: 0, width: 50, height: 50 });
    expect(page.node.Resources()?.lookup(PDFName.of('XObject'))).toBeDefined();
    expect(await scanOf(await doc.save())).toBeNull();
  });
});

const full = { x: 0, y: 0, width: A4.width, height: A4.height };

describe('OCR of a scanned page from its picture', () => {
  let engine: Awaited<ReturnType<typeof createOcrEngine>>;
  beforeAll(async () => {
    engine = await createOcrEngine();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('reads a page turned by /Rotate upright', async () => {
    // a landscape page as scanners store it: the picture portrait, turned a quarter anticlockwise,
    // and the page's /Rotate 90 shows it upright
    const sharp = (await import('sharp')).default;
    const text = renderTextPng(LINES, { fontSize: 32 });
    const landscape = await sharp({ create: { width: 2339, height: 1654, channels: 3, background: '#ffffff' } })
      .composite([{ input: text, left: 40, top: 40 }])
      .png()
      .toBuffer();
    const stored = await sharp(landscape).rotate(-90).png().toBuffer();
    const pdf = await pageWith(stored, full, { rotate: 90 });
    const read = await withPage(pdf, async (doc) => {
      const page = await doc.getPage(1);
      expect((await pageScan(page))?.width).toBe(2339);
      return engine.pdfPage(page);
    });
    expect(cer(LINES.join('\n'), read)).toBeLessThan(0.05);
  });
});
