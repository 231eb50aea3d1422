import { describe, expect, it } from 'vitest';
import type { PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { ExtractionFailure, extract, type OcrEngine } from '../../src/extract/index.js';
import { encryptedPdf, fakePng, pdf, pdfClaimingPages, pdfWithCyclicPageTree } from './corpus.js';

const PDF = 'application/pdf';

async function failure(promise: Promise<unknown>): Promise<ExtractionFailure> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ExtractionFailure);
  return err as ExtractionFailure;
}

function fakeOcr(): OcrEngine & { seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    image: () => Promise.reject(new Error('not an image test')),
    async pdfPage(page: PDFPageProxy) {
      seen.push(page.pageNumber);
      return `scanned words recognised on page ${page.pageNumber}: the marmalade lighthouse keeper`;
    },
  };
}

describe('images', () => {
  it('go to OCR with the type their bytes say, whatever the upload claimed', async () => {
    const seen: string[] = [];
    const ocr: OcrEngine = {
      async image(bytes, contentType) {
        seen.push(contentType);
        return `text of ${bytes.byteLength} bytes: the gannet colony`;
      },
      pdfPage: () => Promise.reject(new Error('not a pdf test')),
    };
    const png = fakePng('x');
    const result = await extract({ bytes: png, contentType: 'application/octet-stream', name: 'photo' }, { ocr });
    expect(seen).toEqual(['image/png']);
    expect(result).toMatchObject({ format: 'image', pages: 1, ocr: true, ocrPages: 1, passages: [{ page: 1, text: 'text of 9 bytes: the gannet colony' }] });
  });

  it('an image OCR cannot read ends corrupt; without OCR an image is empty text', async () => {
    const ocr: OcrEngine = { image: () => Promise.reject(new Error('bad huffman table')), pdfPage: () => Promise.reject(new Error('x')) };
    const err = await extract({ bytes: fakePng('x'), contentType: 'image/png', name: 'a.png' }, { ocr }).catch((e: unknown) => e);
    expect((err as ExtractionFailure).reason).toBe('corrupt');
    const plain = await extract({ bytes: fakePng('x'), contentType: 'image/png', name: 'a.png' });
    expect(plain).toMatchObject({ format: 'image', text: '', passages: [], ocr: false, ocrPages: 0, language: null });
  });
});

/** An error shaped like the vision module's VisionError. */
function visionError(code: string): Error {
  return Object.assign(new Error(`vision says ${code}`), { name: 'VisionError', code });
}

describe('OCR errors', () => {
  it('map to the document failure: refused input by its code, a broken engine crashed and transient', async () => {
    const cases: [string, string, boolean][] = [
      ['too-large', 'too-large', false],
      ['unreadable', 'corrupt', false],
      ['unsupported', 'unsupported', false],
      ['timeout', 'timeout', false],
      ['ocr-failed', 'crashed', true],
      ['closed', 'crashed', true],
    ];
    for (const [code, reason, transient] of cases) {
      const ocr: OcrEngine = { image: () => Promise.reject(visionError(code)), pdfPage: () => Promise.reject(visionError(code)) };
      const err = await extract({ bytes: fakePng('x'), contentType: 'image/png', name: 'a.png' }, { ocr }).catch((e: unknown) => e);
      expect(err, code).toBeInstanceOf(ExtractionFailure);
      expect(err, code).toMatchObject({ reason, transient });
    }
  });

  it('on a PDF page: a page OCR cannot read is skipped, a broken engine fails the document to be retried', async () => {
    const bytes = await pdf([[], ['A page with a text layer of its own']]);
    const unreadable: OcrEngine = { image: () => Promise.reject(new Error('x')), pdfPage: () => Promise.reject(visionError('unreadable')) };
    const result = await extract({ bytes, contentType: PDF, name: 'scan.pdf' }, { ocr: unreadable });
    expect(result.passages.map((p) => p.page)).toEqual([2]);
    const broken: OcrEngine = { image: () => Promise.reject(new Error('x')), pdfPage: () => Promise.reject(visionError('ocr-failed')) };
    const err = await extract({ bytes, contentType: PDF, name: 'scan.pdf' }, { ocr: broken }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'crashed', transient: true });
  });
});

describe('PDF extraction', () => {
  it('reads every page, in order, with lines rebuilt and the language told', async () => {
    const bytes = await pdf([
      ['Quarterly report of the northern orchard cooperative', 'The crimson heron flies over the harbour'],
      ['Second page about the velvet compass and its owners', 'Members met in the town hall on Tuesday'],
      ['Third page: the brass telescope was sold at auction', 'Nobody expected such an outcome this year'],
    ]);
    const result = await extract({ bytes, contentType: PDF, name: 'report.pdf' });
    expect(result.format).toBe('pdf');
    expect(result.pages).toBe(3);
    expect(result.passages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(result.passages[0]?.text).toContain('The crimson heron flies over the harbour');
    expect(result.passages[1]?.text).toContain('velvet compass');
    expect(result.passages[2]?.text).toContain('brass telescope was sold at auction');
    // two drawn lines come out as two lines, not one run-on
    expect(result.passages[0]?.text.split('\n')).toEqual([
      'Quarterly report of the northern orchard cooperative',
      'The crimson heron flies over the harbour',
    ]);
    expect(result.text).toBe(result.passages.map((p) => p.text).join('\n\n'));
    expect(result.language).toBe('eng');
    expect(result).toMatchObject({ ocr: false, ocrPages: 0, truncated: false });
  });

  it('sends a page without text to OCR and keeps the rest from the text layer', async () => {
    const bytes = await pdf([['The first page has a proper text layer with words'], [], ['The last page has text again, plenty of it']]);
    const ocr = fakeOcr();
    const result = await extract({ bytes, contentType: PDF, name: 'scan.pdf' }, { ocr });
    expect(ocr.seen).toEqual([2]);
    expect(result.passages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(result.passages[1]?.text).toContain('marmalade lighthouse keeper');
    expect(result).toMatchObject({ ocr: true, ocrPages: 1, pages: 3 });
  });

  it('without OCR, a page without text leaves no passage', async () => {
    const bytes = await pdf([['Only this page says anything at all'], []]);
    const result = await extract({ bytes, contentType: PDF, name: 'scan.pdf' });
    expect(result.pages).toBe(2);
    expect(result.passages.map((p) => p.page)).toEqual([1]);
    expect(result.ocr).toBe(false);
  });

  it('sends no more than ocrMaxPages pages to OCR', async () => {
    const bytes = await pdf([[], [], [], []]);
    const ocr = fakeOcr();
    const result = await extract({ bytes, contentType: PDF, name: 'scan.pdf' }, { ocr, limits: { ocrMaxPages: 2 } });
    expect(ocr.seen).toEqual([1, 2]);
    expect(result).toMatchObject({ ocrPages: 2, truncated: true });
  });

  it('stops OCR, keeping what it read, before a slow scan would run out of time', async () => {
    const bytes = await pdf(Array.from({ length: 20 }, () => []));
    const seen: number[] = [];
    const slow: OcrEngine = {
      image: () => Promise.reject(new Error('x')),
      async pdfPage(page) {
        seen.push(page.pageNumber);
        await new Promise((resolve) => setTimeout(resolve, 150));
        return `slowly recognised page ${page.pageNumber}`;
      },
    };
    const result = await extract({ bytes, contentType: PDF, name: 'scan.pdf' }, { ocr: slow, limits: { timeoutMs: 2000 } });
    expect(result.truncated).toBe(true);
    expect(result.ocrPages).toBeGreaterThan(0);
    expect(result.ocrPages).toBeLessThan(20);
    expect(result.passages.map((p) => p.page)).toEqual(seen);
  });

  it('a failing OCR page costs that page only', async () => {
    const bytes = await pdf([[], ['A page with a text layer of its own']]);
    const ocr: OcrEngine = { image: () => Promise.reject(new Error('x')), pdfPage: () => Promise.reject(new Error('renderer broke')) };
    const result = await extract({ bytes, contentType: PDF, name: 'scan.pdf' }, { ocr });
    expect(result.passages.map((p) => p.page)).toEqual([2]);
    expect(result.ocr).toBe(false);
  });

  it('cuts the text at maxChars and says so', async () => {
    const bytes = await pdf([['alpha beta gamma delta epsilon'], ['zeta eta theta iota kappa']]);
    const result = await extract({ bytes, contentType: PDF, name: 'a.pdf' }, { limits: { maxChars: 20 } });
    expect(result.truncated).toBe(true);
    expect(result.text.length).toBeLessThanOrEqual(20);
    expect(result.text).toBe('alpha beta gamma del');
  });

  it('a page tree of 10,000 pages (one page object, cheap to build) ends too-many-pages before any page is read', async () => {
    const many = pdfClaimingPages(10_000, 10_000);
    expect(many.byteLength).toBeLessThan(100_000);
    const ocr = fakeOcr();
    expect((await failure(extract({ bytes: many, contentType: PDF, name: 'many.pdf' }, { ocr }))).reason).toBe('too-many-pages');
    expect(ocr.seen).toEqual([]);
  });

  it('a /Count that lies is not believed: pdf.js walks the tree and finds the one real page', async () => {
    const result = await extract({ bytes: pdfClaimingPages(10_000, 1), contentType: PDF, name: 'lie.pdf' });
    expect(result.pages).toBe(1);
    expect(result.text).toBe('hand written page');
  });

  it('maxPages applies to real pages too', async () => {
    const bytes = await pdf([['one'], ['two'], ['three']]);
    const f = await failure(extract({ bytes, contentType: PDF, name: 'a.pdf' }, { limits: { maxPages: 2 } }));
    expect(f.reason).toBe('too-many-pages');
  });

  it('a hand-written PDF below the page cap reads', async () => {
    const result = await extract({ bytes: pdfClaimingPages(1, 1), contentType: PDF, name: 'one.pdf' });
    expect(result.text).toBe('hand written page');
  });

  it('a page tree that loops ends corrupt, not in a hang', async () => {
    const f = await failure(extract({ bytes: pdfWithCyclicPageTree(), contentType: PDF, name: 'loop.pdf' }));
    expect(f.reason).toBe('corrupt');
  });

  it('a password-protected PDF ends encrypted', async () => {
    const f = await failure(extract({ bytes: encryptedPdf(), contentType: PDF, name: 'secret.pdf' }));
    expect(f.reason).toBe('encrypted');
    expect(f.transient).toBe(false);
  });

  it('a truncated PDF and one that is not a PDF at all end corrupt', async () => {
    const bytes = await pdf([['some text that will be cut off in the middle']]);
    const cut = bytes.subarray(0, Math.floor(bytes.length / 3));
    expect((await failure(extract({ bytes: cut, contentType: PDF, name: 'cut.pdf' }))).reason).toBe('corrupt');
    const junk = new Uint8Array(Buffer.from('%PDF-1.7\nthis is no pdf at all\n'));
    expect((await failure(extract({ bytes: junk, contentType: PDF, name: 'junk.pdf' }))).reason).toBe('corrupt');
  });

  it('takes the bytes without a copy when the caller gives them away', async () => {
    const bytes = Uint8Array.from(await pdf([['given away']]));
    const result = await extract({ bytes, contentType: PDF, name: 'a.pdf' }, { consumeBytes: true });
    expect(result.text).toBe('given away');
    // pdf.js took the buffer itself: it is detached here
    expect(bytes.byteLength).toBe(0);
  });

  it("leaves the caller's bytes usable", async () => {
    const bytes = await pdf([['the buffer must survive']]);
    const copy = Uint8Array.from(bytes);
    await extract({ bytes, contentType: PDF, name: 'a.pdf' });
    expect(bytes.byteLength).toBe(copy.byteLength);
    expect(Buffer.from(bytes).equals(Buffer.from(copy))).toBe(true);
  });
});
