import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cer, corruptPng, imageOnlyPdf, levenshtein, pngBomb, renderTextPng, textPdf, toTiff } from './corpus.js';

describe('cer', () => {
  it('counts insertions, deletions and substitutions per character of the truth', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('abc', 'abc')).toBe(0);
    expect(cer('abcdefghij', 'abcdefghiX')).toBeCloseTo(0.1, 10);
    expect(cer('abcdefghij', 'abcdefghij and more')).toBeCloseTo(0.9, 10);
  });

  it('ignores spacing, line breaks and typographic look-alikes, not case or letters', () => {
    expect(cer('Don’t  stop —\nnow', "Don't stop -\n\n now ")).toBe(0);
    expect(cer('Paris', 'paris')).toBeCloseTo(0.2, 10);
  });

  it('is 1 when something is read from nothing and 0 when nothing is read from nothing', () => {
    expect(cer('', 'ghost')).toBe(1);
    expect(cer(' ', '')).toBe(0);
  });
});

describe('the corpus pictures and PDFs', () => {
  it('renders text as a PNG with dark ink on white', async () => {
    const png = renderTextPng(['two lines', 'of text'], { fontSize: 30 });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.height).toBe(2 * 45 + 2 * 30);
    const { channels } = await sharp(png).stats();
    expect(channels[0]!.min).toBe(0);
    expect(channels[0]!.max).toBe(255);
  });

  it('converts to TIFF', async () => {
    expect((await sharp(await toTiff(renderTextPng(['x']))).metadata()).format).toBe('tiff');
  });

  it('makes PDFs: one page per picture without text, and one with a text layer', async () => {
    const scan = await getDocument({ data: await imageOnlyPdf([renderTextPng(['a']), renderTextPng(['b'])]), verbosity: 0 })
      .promise;
    const text = await getDocument({ data: await textPdf([['hello world'], ['page two']]), verbosity: 0 }).promise;
    try {
      expect(scan.numPages).toBe(2);
      expect((await (await scan.getPage(1)).getTextContent()).items).toHaveLength(0);
      expect(text.numPages).toBe(2);
      const items = (await (await text.getPage(2)).getTextContent()).items;
      expect(items.map((item) => ('str' in item ? item.str : '')).join('')).toBe('page two');
    } finally {
      await scan.destroy();
      await text.destroy();
    }
  });

  it('makes a small PNG whose header claims ten gigapixels, and a corrupt one', async () => {
    const bomb = pngBomb();
    expect(bomb.length).toBeLessThan(2_000);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ width: 100_000, height: 100_000 });
    await expect(sharp(corruptPng(renderTextPng(['x']))).toBuffer()).rejects.toThrow();
  });
});
