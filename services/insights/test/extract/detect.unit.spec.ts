import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  ExtractionFailure,
  detectFormat,
  readBounded,
  resolveLimits,
  textSearchConfig,
} from '../../src/extract/index.js';
import { docx, fakePng, odt, pptx, xlsx, zip } from './corpus.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('detectFormat', () => {
  it('believes magic bytes over the name and content type', () => {
    expect(detectFormat('text/plain', 'notes.txt', bytes('%PDF-1.7\n'))).toBe('pdf');
    expect(detectFormat('application/octet-stream', 'x', bytes('junk before the header %PDF-1.4'))).toBe('pdf');
    expect(detectFormat('text/plain', 'a.txt', fakePng('x'))).toBe('image');
    expect(detectFormat('', '', new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image');
    expect(detectFormat('', '', bytes('II*\x00'))).toBe('image');
    expect(detectFormat('', '', bytes('MM\x00*'))).toBe('image');
  });

  it('tells zip packages apart by their parts', () => {
    expect(detectFormat('application/zip', 'a.zip', docx(['x']))).toBe('docx');
    expect(detectFormat('application/zip', 'a.zip', pptx([['x']]))).toBe('pptx');
    expect(detectFormat('application/zip', 'a.zip', xlsx([{ name: 's', rows: [['x']] }]))).toBe('xlsx');
    expect(detectFormat('application/zip', 'a.zip', odt(['x']))).toBe('odt');
    // only the head of a package: the content type decides, but only among zip formats
    const head = docx(['x']).subarray(0, 4);
    expect(detectFormat('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'a.docx', head)).toBe('docx');
    expect(detectFormat('text/plain', 'a.txt', zip([{ name: 'a.txt', data: 'x' }]))).toBeNull();
  });

  it('falls back to the content type, then the extension, for text', () => {
    expect(detectFormat('text/markdown; charset=utf-8', 'x', bytes('# hi'))).toBe('markdown');
    expect(detectFormat('TEXT/HTML', 'x', bytes('<p>hi</p>'))).toBe('html');
    expect(detectFormat('text/csv', 'x', bytes('a,b'))).toBe('csv');
    expect(detectFormat('application/octet-stream', 'data.CSV', bytes('a,b'))).toBe('csv');
    expect(detectFormat('', 'notes.md', bytes('# hi'))).toBe('markdown');
    expect(detectFormat('text/x-log', 'x', bytes('line'))).toBe('text');
    expect(detectFormat('', '', bytes('  <!DOCTYPE html><p>hi'))).toBe('html');
  });

  it('returns null for what it does not read', () => {
    expect(detectFormat('application/octet-stream', 'blob', bytes('\x00\x01\x02'))).toBeNull();
    expect(detectFormat('image/gif', 'a.gif', bytes('GIF89a'))).toBeNull();
    expect(detectFormat('application/pdf', 'a.pdf', bytes('not a pdf'))).toBeNull();
    expect(detectFormat('', '', new Uint8Array(0))).toBeNull();
  });
});

describe('readBounded', () => {
  async function* chunks(n: number, size: number, seen: { count: number; finished: boolean }) {
    try {
      for (let i = 0; i < n; i++) {
        seen.count++;
        yield new Uint8Array(size).fill(i);
      }
    } finally {
      seen.finished = true;
    }
  }

  it('joins the chunks of a stream under the cap', async () => {
    const seen = { count: 0, finished: false };
    const out = await readBounded(chunks(3, 4, seen), 12);
    expect([...out]).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it('fails too-large as soon as the cap is passed and stops the source', async () => {
    const seen = { count: 0, finished: false };
    const err = await readBounded(chunks(1000, 1024, seen), 4096).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtractionFailure);
    expect((err as ExtractionFailure).reason).toBe('too-large');
    expect(seen.count).toBe(5);
    expect(seen.finished).toBe(true);
  });
});

describe('textSearchConfig', () => {
  it('maps franc codes to Postgres configurations and anything else to simple', () => {
    expect(textSearchConfig('eng')).toBe('english');
    expect(textSearchConfig('deu')).toBe('german');
    expect(textSearchConfig('fra')).toBe('french');
    expect(textSearchConfig('nob')).toBe('norwegian');
    expect(textSearchConfig('cmn')).toBe('simple');
    expect(textSearchConfig(null)).toBe('simple');
    expect(textSearchConfig('english')).toBe('simple');
  });
});

describe('limits', () => {
  it('fills in the defaults and refuses nonsense', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ maxPages: 5, ocrMaxPages: 0 })).toMatchObject({ maxPages: 5, ocrMaxPages: 0, maxChars: 2_000_000 });
    expect(() => resolveLimits({ maxBytes: -1 })).toThrow(TypeError);
    expect(() => resolveLimits({ timeoutMs: 0 })).toThrow(TypeError);
    expect(() => resolveLimits({ maxChars: Number.NaN })).toThrow(TypeError);
    expect(() => resolveLimits({ nonsense: 1 } as never)).toThrow(TypeError);
  });

  it('a failure says whether a retry may help', () => {
    expect(new ExtractionFailure('corrupt', 'x').transient).toBe(false);
    expect(new ExtractionFailure('crashed', 'x').transient).toBe(true);
    expect(new ExtractionFailure('timeout', 'x', { transient: true }).transient).toBe(true);
  });
});
