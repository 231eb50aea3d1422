import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOcrEngine, pdfDocumentOptions, VisionError } from '../../src/vision/index.js';
import {
  blankPdf,
  cer,
  corruptPng,
  imageOnlyPdf,
  pdfWithImageBomb,
  pngBomb,
  renderTextPng,
  scanLike,
  toJpeg,
  toTiff,
  withExifOrientation,
  type CorpusFont,
} from '../support/corpus.js';

// OCR and drawing share two cores with other work here: generous limits, never timed assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

// Sentences with the things OCR gets wrong: digits, punctuation, capitals, names, amounts.
const SENTENCES = [
  'The quick brown fox jumps over the lazy dog near the riverbank.',
  'Invoice 2024-117 was paid on 3 March by Margaret Holloway, London.',
  'Quarterly revenue rose 12.5% to EUR 48,300 after the merger.',
  'Please return the signed contract to Dr. Okafor before Friday.',
  'Shipment #5532 left Rotterdam with 240 crates of ceramic tiles.',
];

type Engine = Awaited<ReturnType<typeof createOcrEngine>>;
let engine: Engine;

beforeAll(async () => {
  engine = await createOcrEngine();
}, 30_000);

afterAll(async () => {
  await engine.close();
});

async function expectVisionError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VisionError);
  expect(err).toMatchObject({ code });
  expect((err as Error).message).toMatch(message);
}

describe('OCR of pictures of text', () => {
  const measured: { sample: string; cer: number }[] = [];

  afterAll(() => {
    const mean = measured.reduce((sum, m) => sum + m.cer, 0) / Math.max(1, measured.length);
    console.info(
      `OCR character error rate: mean ${(mean * 100).toFixed(2)} % over ${measured.length} pictures; ` +
        measured.map((m) => `${m.sample} ${(m.cer * 100).toFixed(2)} %`).join(', '),
    );
  });

  const cases: { font: CorpusFont; fontSize: number; lines: string[] }[] = [
    // 16 px is screenshot-sized text: it is read after the engine enlarges the picture.
    { font: 'sans', fontSize: 16, lines: SENTENCES.slice(0, 3) },
    { font: 'sans', fontSize: 28, lines: SENTENCES },
    { font: 'serif', fontSize: 22, lines: SENTENCES.slice(2) },
    { font: 'serif', fontSize: 40, lines: SENTENCES.slice(0, 2) },
  ];

  for (const { font, fontSize, lines } of cases) {
    it(`reads ${font} ${fontSize} px text in a PNG with a character error rate under 5 %`, async () => {
      const text = await engine.image(renderTextPng(lines, { font, fontSize }), 'image/png');
      const rate = cer(lines.join('\n'), text);
      measured.push({ sample: `png ${font} ${fontSize}px`, cer: rate });
      expect(rate).toBeLessThan(0.05);
    });
  }

  it('reads a JPEG', async () => {
    const jpeg = await toJpeg(renderTextPng(SENTENCES, { fontSize: 24 }), 75);
    const text = await engine.image(jpeg, 'image/jpeg');
    const rate = cer(SENTENCES.join('\n'), text);
    measured.push({ sample: 'jpeg q75 24px', cer: rate });
    expect(rate).toBeLessThan(0.05);
  });

  it('reads a TIFF', async () => {
    const tiff = await toTiff(renderTextPng(SENTENCES, { font: 'serif', fontSize: 26 }));
    const text = await engine.image(tiff, 'image/tiff');
    const rate = cer(SENTENCES.join('\n'), text);
    measured.push({ sample: 'tiff serif 26px', cer: rate });
    expect(rate).toBeLessThan(0.05);
  });

  it('reads a scan-like picture: turned a little, soft, grainy, a low-quality JPEG', async () => {
    const scan = await scanLike(renderTextPng(SENTENCES, { font: 'serif', fontSize: 26 }));
    const text = await engine.image(scan, 'image/jpeg');
    const rate = cer(SENTENCES.join('\n'), text);
    measured.push({ sample: 'scan-like jpeg q60 serif 26px', cer: rate });
    expect(rate).toBeLessThan(0.05);
  });

  for (const degrees of [10, -7]) {
    it(`straightens a scan turned by ${degrees}° before reading it`, async () => {
      const scan = await scanLike(renderTextPng(SENTENCES, { font: 'serif', fontSize: 26 }), { degrees });
      const text = await engine.image(scan, 'image/jpeg');
      const rate = cer(SENTENCES.join('\n'), text);
      measured.push({ sample: `scan-like turned ${degrees}° serif 26px`, cer: rate });
      expect(rate).toBeLessThan(0.05);
    });
  }

  it('turns a phone photo upright by its EXIF orientation before reading it', async () => {
    const lines = SENTENCES.slice(0, 2);
    const photo = await withExifOrientation(renderTextPng(lines), 6);
    // Stored sideways: without the tag's rotation the text would be unreadable.
    const stored = await sharp(photo).metadata();
    expect(stored.height).toBeGreaterThan(stored.width);
    const text = await engine.image(photo, 'image/jpeg');
    expect(cer(lines.join('\n'), text)).toBeLessThan(0.05);
  });

  it('reads dark text on a transparent background', async () => {
    const lines = SENTENCES.slice(1, 3);
    const opaque = renderTextPng(lines);
    // Keep the ink, make the paper transparent.
    const transparent = await sharp(opaque)
      .greyscale()
      .negate()
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(({ data, info }) => {
        const rgba = Buffer.alloc(info.width * info.height * 4);
        for (let i = 0; i < data.length; i++) rgba[i * 4 + 3] = data[i] ?? 0;
        return sharp(rgba, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer();
      });
    const text = await engine.image(transparent, 'image/png');
    expect(cer(lines.join('\n'), text)).toBeLessThan(0.05);
  });

  it('reads every page of a multi-page TIFF', async () => {
    const first = await sharp(renderTextPng([SENTENCES[0] ?? ''], { width: 1100 })).raw().toBuffer({ resolveWithObject: true });
    const second = await sharp(renderTextPng([SENTENCES[1] ?? ''], { width: 1100 })).raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels } = first.info;
    expect(second.info).toMatchObject({ width, height, channels });
    // Pages of equal size stacked, with the page height given: sharp writes one TIFF page each.
    const paged = await sharp(Buffer.concat([first.data, second.data]), {
      raw: { width, height: height * 2, channels, pageHeight: height },
    })
      .tiff({ compression: 'lzw' })
      .toBuffer();
    expect((await sharp(paged).metadata()).pages).toBe(2);
    const text = await engine.image(paged, 'image/tiff');
    expect(cer(`${SENTENCES[0]}\n\n${SENTENCES[1]}`, text)).toBeLessThan(0.05);
  });
});

describe('OCR of scanned PDF pages', () => {
  it('reads each page of an image-only PDF through pdf.js', async () => {
    const pages = [SENTENCES.slice(0, 3), SENTENCES.slice(3)];
    const pdf = await imageOnlyPdf(pages.map((lines) => renderTextPng(lines, { fontSize: 32 })));
    const doc = await getDocument({ data: pdf, verbosity: 0 }).promise;
    try {
      expect(doc.numPages).toBe(2);
      for (const [i, lines] of pages.entries()) {
        const page = await doc.getPage(i + 1);
        // It really is a scan: pdf.js finds no text on it.
        expect((await page.getTextContent()).items).toHaveLength(0);
        const text = await engine.pdfPage(page);
        expect(cer(lines.join('\n'), text)).toBeLessThan(0.05);
      }
    } finally {
      await doc.destroy();
    }
  });

  it('gives an empty string for a blank page', async () => {
    const blank = await sharp({ create: { width: 800, height: 1100, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    const doc = await getDocument({ data: await imageOnlyPdf([blank]), verbosity: 0 }).promise;
    try {
      expect(await engine.pdfPage(await doc.getPage(1))).toBe('');
    } finally {
      await doc.destroy();
    }
  });
});

describe('OCR of hostile PDF pages', () => {
  it('reads a page that paints an image over the pixel budget (opened with pdfDocumentOptions, which leave it out)', async () => {
    const doc = await getDocument({ data: await pdfWithImageBomb(6_000, 6_000), ...pdfDocumentOptions() }).promise;
    try {
      expect(await engine.pdfPage(await doc.getPage(1))).toBe('');
    } finally {
      await doc.destroy();
    }
  });

  it('draws the largest page PDF allows within the pixel budget', async () => {
    const doc = await getDocument({ data: await blankPdf(14_400, 14_400), ...pdfDocumentOptions() }).promise;
    try {
      expect(await engine.pdfPage(await doc.getPage(1))).toBe('');
    } finally {
      await doc.destroy();
    }
  });
});

describe('OCR of hostile and broken input', () => {
  it('rejects a decompression bomb from its header, quickly and without decoding it', async () => {
    const bomb = pngBomb(100_000, 100_000);
    expect(bomb.length).toBeLessThan(2_000);
    await expectVisionError(engine.image(bomb, 'image/png'), 'too-large', /100000 × 100000 pixels.*25\.0 megapixels/);
  });

  it('honours a lower pixel budget given to the engine', async () => {
    const small = await createOcrEngine({ maxPixels: 10_000 });
    try {
      await expectVisionError(small.image(renderTextPng(['big enough']), 'image/png'), 'too-large', /over the limit/);
    } finally {
      await small.close();
    }
  });

  it('rejects a corrupt PNG and bytes that are no picture at all', async () => {
    await expectVisionError(engine.image(corruptPng(renderTextPng(['x'])), 'image/png'), 'unreadable', /corrupt PNG/);
    await expectVisionError(engine.image(Buffer.from('%PDF-1.7 not a picture'), 'image/png'), 'unreadable', /unknown signature/);
    await expectVisionError(engine.image(new Uint8Array(0), 'image/jpeg'), 'unreadable', /unknown signature/);
  });

  it('still reads after the failures above', async () => {
    const lines = [SENTENCES[4] ?? ''];
    expect(cer(lines.join('\n'), await engine.image(renderTextPng(lines), 'image/png'))).toBeLessThan(0.05);
  });
});
