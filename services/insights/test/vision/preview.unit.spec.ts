import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { makePreview, VisionError } from '../../src/vision/index.js';
import {
  blankPdf,
  corruptPng,
  imageOnlyPdf,
  pdfWithImageBomb,
  pngBomb,
  renderTextPng,
  textPdf,
  toGif,
  toJpeg,
  toTiff,
  toWebp,
  withExifOrientation,
  zip,
  DOCX_TYPE,
  ODT_TYPE,
  odt,
} from '../support/corpus.js';

// OCR and drawing share two cores with other work here: generous limits, never timed assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const LINES = ['Preview of a planted phrase: amber lighthouse', 'Second line of the page, for some ink'];

async function expectVisionError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VisionError);
  expect(err).toMatchObject({ code });
  expect((err as Error).message).toMatch(message);
}

/** Decodes the thumbnail back and checks that it says what it is. */
async function decoded(preview: Awaited<ReturnType<typeof makePreview>>) {
  expect(preview).not.toBeNull();
  const { bytes, contentType, width, height } = preview!;
  const meta = await sharp(bytes).metadata();
  expect(meta.format).toBe(contentType === 'image/webp' ? 'webp' : 'png');
  expect({ width: meta.width, height: meta.height }).toEqual({ width, height });
  return { meta, stats: await sharp(bytes).stats() };
}

// A wide picture of text: 1600 px, so a 480 px thumbnail is a real reduction.
const wide = renderTextPng(LINES, { fontSize: 48, width: 1600 });

describe('previews of pictures', () => {
  it.each([
    ['PNG', 'image/png', async (png: Buffer) => png],
    ['JPEG', 'image/jpeg', (png: Buffer) => toJpeg(png)],
    ['TIFF', 'image/tiff', (png: Buffer) => toTiff(png)],
    ['GIF', 'image/gif', (png: Buffer) => toGif(png)],
    ['WebP', 'image/webp', (png: Buffer) => toWebp(png)],
  ])('makes a 480 px WebP thumbnail of a %s, aspect kept', async (_name, contentType, convert) => {
    const source = await sharp(wide).metadata();
    const preview = await makePreview({ bytes: await convert(wide), contentType });
    const { stats } = await decoded(preview);
    expect(preview).toMatchObject({ contentType: 'image/webp', width: 480 });
    expect(preview!.height).toBe(Math.round((480 * source.height) / source.width));
    // Text survived the reduction: there is dark ink on the white page.
    expect(stats.channels[0]!.min).toBeLessThan(100);
    expect(stats.channels[0]!.max).toBeGreaterThan(200);
  });

  it('makes a PNG on request, at the width asked for', async () => {
    const preview = await makePreview({ bytes: wide, contentType: 'image/png' }, { width: 200, format: 'png' });
    await decoded(preview);
    expect(preview).toMatchObject({ contentType: 'image/png', width: 200 });
  });

  it('does not enlarge a picture narrower than the thumbnail', async () => {
    const small = renderTextPng(['tiny'], { fontSize: 12 });
    const { width, height } = await sharp(small).metadata();
    const preview = await makePreview({ bytes: small, contentType: 'image/png' });
    expect(preview).toMatchObject({ width, height });
  });

  it('shows a phone photo upright', async () => {
    const photo = await withExifOrientation(wide, 6);
    const preview = await makePreview({ bytes: photo, contentType: 'image/jpeg' });
    // Stored taller than wide; upright it is wide again.
    expect(preview!.width).toBeGreaterThan(preview!.height);
  });

  it('goes by the bytes, not a wrong content type', async () => {
    const preview = await makePreview({ bytes: wide, contentType: 'application/octet-stream' });
    expect(preview).toMatchObject({ contentType: 'image/webp', width: 480 });
  });

  it('cuts a very tall strip to four widths', async () => {
    const strip = await sharp({ create: { width: 600, height: 12_000, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    const preview = await makePreview({ bytes: strip, contentType: 'image/png' });
    expect(preview!.height).toBeLessThanOrEqual(4 * 480);
  });
});

describe('previews of PDFs', () => {
  it('draws the first page of a text PDF, A4-shaped, with visible text', async () => {
    const pdf = await textPdf([LINES, ['page two is never drawn']]);
    const preview = await makePreview({ bytes: pdf, contentType: 'application/pdf' });
    const { stats } = await decoded(preview);
    expect(preview).toMatchObject({ contentType: 'image/webp', width: 480 });
    // A4 is 1 : 1.414.
    expect(preview!.height).toBeGreaterThanOrEqual(678);
    expect(preview!.height).toBeLessThanOrEqual(680);
    // The standard font was found: glyphs were drawn, the page is not blank.
    expect(stats.channels[0]!.min).toBeLessThan(128);
  });

  it('draws the first page of a scanned PDF', async () => {
    const pdf = await imageOnlyPdf([renderTextPng(LINES, { fontSize: 40 })]);
    const preview = await makePreview({ bytes: pdf, contentType: 'application/pdf' }, { width: 300 });
    const { stats } = await decoded(preview);
    expect(preview!.width).toBe(300);
    expect(stats.channels[0]!.min).toBeLessThan(128);
  });

  it('draws the page within the pixel budget', async () => {
    const pdf = await textPdf([LINES]);
    const preview = await makePreview({ bytes: pdf, contentType: 'application/pdf' }, { maxPixels: 50_000 });
    // 50,000 pixels of A4 is about 188 × 266, so the thumbnail cannot be wider than that.
    expect(preview!.width).toBeLessThanOrEqual(188);
  });
});

describe('previews of office documents', () => {
  // About the size LibreOffice stores: 256 pixels on the longer side.
  const thumb = renderTextPng(LINES, { fontSize: 14, width: 256 });

  it('shows the thumbnail an OpenDocument file carries, at its own size', async () => {
    const { width, height } = await sharp(thumb).metadata();
    const preview = await makePreview({ bytes: odt('amber lighthouse', thumb), contentType: ODT_TYPE });
    await decoded(preview);
    expect(preview).toMatchObject({ contentType: 'image/webp', width, height });
  });

  it('shows the docProps thumbnail of an OOXML file', async () => {
    const docx = zip([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'word/document.xml', data: '<w:document/>' },
      { name: 'docProps/thumbnail.jpeg', data: await toJpeg(thumb) },
    ]);
    const preview = await makePreview({ bytes: docx, contentType: DOCX_TYPE });
    expect(preview).toMatchObject({ contentType: 'image/webp', width: 256 });
  });

  it('gives null for an office file saved without a thumbnail', async () => {
    expect(await makePreview({ bytes: odt('no picture here'), contentType: ODT_TYPE })).toBeNull();
  });

  it('skips a "thumbnail" that would inflate to 64 MiB (a zip bomb)', async () => {
    const bomb = zip([
      { name: 'mimetype', data: ODT_TYPE, store: true },
      { name: 'Thumbnails/thumbnail.png', data: Buffer.alloc(64 * 1024 * 1024) },
    ]);
    expect(bomb.length).toBeLessThan(100_000);
    expect(await makePreview({ bytes: bomb, contentType: ODT_TYPE })).toBeNull();
  });

  it('rejects a thumbnail that is larger than its entry declares', async () => {
    const liar = zip([{ name: 'Thumbnails/thumbnail.png', data: Buffer.alloc(8 * 1024 * 1024), declaredSize: 1_000 }]);
    await expectVisionError(makePreview({ bytes: liar, contentType: ODT_TYPE }), 'unreadable', /corrupt office document/);
  });

  it('rejects a corrupt zip', async () => {
    const broken = odt('text', thumb).subarray(0, 200);
    await expectVisionError(makePreview({ bytes: broken, contentType: ODT_TYPE }), 'unreadable', /corrupt office document/);
  });
});

describe('formats with nothing to show', () => {
  it.each([
    ['text/plain', Buffer.from('just words, no picture')],
    ['text/markdown', Buffer.from('# Title\n\nbody')],
    ['text/csv', Buffer.from('a,b\n1,2\n')],
    // Text that begins like a signature or mentions one.
    ['text/plain', Buffer.from('GIF89a is the animated flavour of GIF')],
    ['text/markdown', Buffer.from('# Notes\n\nA PDF file starts with %PDF-1.7 and ends with %%EOF')],
    // A zip that does not say it is an office document is not opened.
    ['application/zip', odt('text', renderTextPng(['x']))],
    ['application/octet-stream', new Uint8Array(0)],
  ])('gives null for %s', async (contentType, bytes) => {
    expect(await makePreview({ bytes, contentType })).toBeNull();
  });
});

describe('previews of hostile and broken input', () => {
  it('rejects a decompression bomb from its header', async () => {
    await expectVisionError(makePreview({ bytes: pngBomb(), contentType: 'image/png' }), 'too-large', /100000 × 100000/);
  });

  it('rejects a corrupt picture', async () => {
    await expectVisionError(makePreview({ bytes: corruptPng(wide), contentType: 'image/png' }), 'unreadable', /corrupt PNG/);
  });

  it('rejects bytes that claim to be a picture and are not', async () => {
    await expectVisionError(
      makePreview({ bytes: Buffer.from('hello'), contentType: 'image/jpeg' }),
      'unreadable',
      /unknown signature/,
    );
  });

  it('rejects a PDF that is only a header', async () => {
    await expectVisionError(
      makePreview({ bytes: Buffer.from('%PDF-1.7\n%%EOF\n'), contentType: 'application/pdf' }),
      'unreadable',
      /PDF could not be opened/,
    );
  });

  it('rejects a truncated PDF', async () => {
    const pdf = await textPdf([LINES]);
    const truncated = pdf.subarray(0, Math.floor(pdf.length / 3));
    await expectVisionError(makePreview({ bytes: truncated, contentType: 'application/pdf' }), 'unreadable', /PDF/);
  });

  it('draws a PDF page that paints a decompression-bomb image, leaving the image out', async () => {
    // 36 megapixels of black in 36 kB, over the 25 megapixel budget.
    const pdf = await pdfWithImageBomb(6_000, 6_000);
    expect(pdf.length).toBeLessThan(100_000);
    const preview = await makePreview({ bytes: pdf, contentType: 'application/pdf' });
    const { stats } = await decoded(preview);
    expect(preview!.width).toBe(480);
    // Over the pixel budget, the image was skipped: the page stays white.
    expect(stats.channels[0]!.min).toBeGreaterThan(240);
  });

  it('draws a PDF page whose image header claims ten gigapixels', async () => {
    const preview = await makePreview({ bytes: await pdfWithImageBomb(), contentType: 'application/pdf' });
    expect(preview).toMatchObject({ width: 480 });
  });

  it('draws the largest page PDF allows within the pixel budget', async () => {
    // 200 × 200 inches.
    const preview = await makePreview({ bytes: await blankPdf(14_400, 14_400), contentType: 'application/pdf' });
    expect(preview).toMatchObject({ width: 480, height: 480 });
  });

  it('rejects a width that is no size', async () => {
    await expectVisionError(makePreview({ bytes: wide, contentType: 'image/png' }, { width: 0 }), 'unsupported', /width/);
    await expectVisionError(makePreview({ bytes: wide, contentType: 'image/png' }, { width: 1e9 }), 'unsupported', /width/);
  });
});
