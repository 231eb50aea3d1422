import { describe, expect, it } from 'vitest';
import { chunk, CHUNK_MAX } from '../../src/understand/index.js';

const sentence = (i: number): string => `Sentence number ${i} talks about the quarterly budget and its many line items.`;
const paragraph = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');

describe('chunk', () => {
  it('given pages of prose, when chunked, then chunks are 600–1000 characters, cut after a sentence, on their page', () => {
    const pages = [
      { page: 1, text: paragraph(40) },
      { page: 2, text: paragraph(25, 40) },
    ];
    const chunks = chunk(pages);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    for (const c of chunks) {
      const source = pages.find((p) => p.page === c.page)!.text;
      expect(source.slice(c.start, c.start + c.text.length)).toBe(c.text);
      expect(c.text.length).toBeLessThanOrEqual(CHUNK_MAX);
      expect(c.text).toMatch(/^Sentence number \d+/);
      expect(c.text).toMatch(/items\.$/);
    }
    // all but each page's last are at least 600 characters
    const inner = chunks.filter((c, i) => chunks[i + 1]?.page === c.page);
    for (const c of inner) expect(c.text.length).toBeGreaterThanOrEqual(600);
    expect(new Set(chunks.map((c) => c.page))).toEqual(new Set([1, 2]));
  });

  it('given a short tail, when chunked, then it joins the chunk before it', () => {
    const text = `${paragraph(10)} Short end.`;
    const chunks = chunk([{ page: null, text }]);
    expect(chunks.at(-1)!.text.endsWith('Short end.')).toBe(true);
    expect(chunks.every((c) => c.text !== 'Short end.')).toBe(true);
  });

  it('given one sentence longer than the maximum, when chunked, then it is cut at spaces within bounds', () => {
    const text = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ');
    const chunks = chunk([{ page: 3, text }], { target: 300, max: 400 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(400);
      expect(text.slice(c.start, c.start + c.text.length)).toBe(c.text);
      expect(c.text).toMatch(/^w\d+.*w\d+$/);
    }
    expect(chunks.map((c) => c.text).join(' ')).toBe(text);
  });

  it('given empty passages and hostile characters, when chunked, then nothing breaks and offsets hold', () => {
    const text = `Nul\u0000here and \u202Ereversed\u202C text.\uD800 Broken pair follows. ${'\u0301'.repeat(3000)}`;
    const chunks = chunk([{ page: 1, text: '' }, { page: 2, text: '   \n\n ' }, { page: 3, text }]);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((c) => c.page === 3)).toBe(true);
    for (const c of chunks) {
      expect(c.text.includes('\u0000') || c.text.includes('\u202E')).toBe(false);
      expect(c.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      expect(c.text.length).toBeLessThanOrEqual(CHUNK_MAX);
    }
    expect(chunks[0]!.start).toBe(0);
    expect(chunk([])).toEqual([]);
  });
});
