import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem, TextMarkedContent } from 'pdfjs-dist/types/src/display/api.js';
import { addPassage, cleanText, type ReadContext, type ReadResult } from './context.js';
import { ocrFault } from './ocr.js';
import { ExtractionFailure } from './types.js';

// A page with fewer visible characters than this is treated as a scan (a page number or a stray
// header is all a scanner's text layer tends to hold).
const SCANNED_PAGE_CHARS = 16;

// OCR stops, keeping what it has, once the next page would likely end past this share of the
// document's time: a long scan is indexed in part rather than failed whole by the sandbox's timeout
const OCR_TIME_SHARE = 0.9;

// Larger images are skipped by pdf.js; 40 megapixels is above an A4 page scanned at 600 dpi.
const MAX_IMAGE_PIXELS = 40_000_000;

let assets: { standardFontDataUrl: string; cMapUrl: string; wasmUrl: string } | undefined;

/** pdf.js reads fonts, CMaps and decoders from its own package on disk; nothing is fetched. */
function pdfjsAssets(): NonNullable<typeof assets> {
  if (!assets) {
    const root = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
    assets = {
      standardFontDataUrl: join(root, 'standard_fonts') + '/',
      cMapUrl: join(root, 'cmaps') + '/',
      wasmUrl: join(root, 'wasm') + '/',
    };
  }
  return assets;
}

/** Rebuilds a page's lines from pdf.js's text items: its end-of-line marks, then position and spacing. */
export function pageText(items: readonly (TextItem | TextMarkedContent)[]): string {
  let out = '';
  let last: TextItem | null = null;
  let lineEnded = true;
  for (const item of items) {
    if (!('str' in item)) continue;
    if (last && !lineEnded && item.str !== '') {
      const x = Number(item.transform[4]);
      const y = Number(item.transform[5]);
      const lastX = Number(last.transform[4]);
      const lastY = Number(last.transform[5]);
      const size = Math.max(Math.abs(item.height), Math.abs(last.height), 1);
      if (Math.abs(y - lastY) > size * 0.5) out += '\n';
      else if (x - (lastX + last.width) > size * 0.15 && !/\s/.test(out.at(-1) ?? ' ') && !/^\s/.test(item.str)) out += ' ';
    }
    out += item.str;
    if (item.hasEOL) {
      out += '\n';
      lineEnded = true;
    } else if (item.str !== '') lineEnded = false;
    if (item.str !== '') last = item;
  }
  return out;
}

function visibleChars(text: string): number {
  return text.replace(/\s+/g, '').length;
}

async function ocrPage(page: PDFPageProxy, ctx: ReadContext): Promise<string | null> {
  try {
    return await ctx.ocr!.pdfPage(page);
  } catch (err) {
    // a broken engine fails the document (to be retried, not indexed without its scans); a page
    // it cannot read costs that page's OCR only
    const { fault, failure } = ocrFault(err);
    if (fault === 'engine') throw failure;
    return null;
  }
}

async function open(bytes: Uint8Array, consume: boolean): Promise<PDFDocumentProxy> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({
    // pdf.js transfers (detaches) the buffer it is given: a copy, unless the caller gave the bytes away
    data: consume && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes instanceof Buffer) ? bytes : new Uint8Array(bytes),
    ...pdfjsAssets(),
    cMapPacked: true,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    useWorkerFetch: false,
    stopAtErrors: false,
    maxImageSize: MAX_IMAGE_PIXELS,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  try {
    return await task.promise;
  } catch (err) {
    await task.destroy().catch(() => undefined);
    const name = (err as Error | undefined)?.name;
    if (name === 'PasswordException') throw new ExtractionFailure('encrypted', 'the PDF is protected by a password', { cause: err });
    throw new ExtractionFailure('corrupt', `not a readable PDF: ${(err as Error | undefined)?.message ?? String(err)}`, { cause: err });
  }
}

/** Reads a PDF's text page by page; pages without a text layer go to OCR when it is offered. */
export async function readPdf(bytes: Uint8Array, ctx: ReadContext, consume = false): Promise<ReadResult> {
  const doc = await open(bytes, consume);
  try {
    const pages = doc.numPages;
    if (pages > ctx.limits.maxPages) {
      throw new ExtractionFailure('too-many-pages', `the PDF has ${pages} pages, more than ${ctx.limits.maxPages}`);
    }
    const passages: ReadResult['passages'] = [];
    let ocrPages = 0;
    let ocr = false;
    let ocrAttempts = 0;
    let ocrSpentMs = 0;
    let ocrStopped = false;
    const ocrAffordable = () => {
      const perPage = ocrAttempts > 0 ? ocrSpentMs / ocrAttempts : 0;
      return ctx.elapsedMs() + perPage * 1.5 < ctx.limits.timeoutMs * OCR_TIME_SHARE;
    };
    for (let number = 1; number <= pages; number++) {
      ctx.checkTime();
      if (ctx.budget.full) {
        ctx.budget.truncated = true;
        break;
      }
      let page: PDFPageProxy;
      let text: string;
      try {
        page = await doc.getPage(number);
        text = pageText((await page.getTextContent()).items);
      } catch (err) {
        throw new ExtractionFailure('corrupt', `page ${number} of the PDF is broken: ${(err as Error).message}`, { cause: err });
      }
      if (ctx.ocr && visibleChars(text) < SCANNED_PAGE_CHARS) {
        if (ocrStopped || ocrAttempts >= ctx.limits.ocrMaxPages || !ocrAffordable()) {
          // a scanned page left unread: the text is not all the document holds
          ocrStopped = true;
          ctx.budget.truncated = true;
        } else {
          const started = Date.now();
          ocrAttempts++;
          const recognised = await ocrPage(page, ctx);
          ocrSpentMs += Date.now() - started;
          ctx.checkTime();
          if (recognised !== null) {
            ocrPages++;
            if (visibleChars(cleanText(recognised)) > visibleChars(text)) {
              text = recognised;
              ocr = true;
            }
          }
        }
      }
      page.cleanup();
      addPassage(passages, ctx, number, text);
    }
    return { passages, pages, ocrPages, ocr };
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}
