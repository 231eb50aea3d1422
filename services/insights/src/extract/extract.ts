import { createContext, addPassage, type ReadContext, type ReadResult } from './context.js';
import { detectFormat, imageType, isEncryptedOffice } from './detect.js';
import { detectLanguage } from './language.js';
import { ocrFault } from './ocr.js';
import { readOffice } from './office.js';
import { readPdf } from './pdf.js';
import { readTextFormat } from './text.js';
import {
  ExtractionFailure,
  resolveLimits,
  type DocumentFormat,
  type ExtractInput,
  type ExtractLimits,
  type Extraction,
  type OcrEngine,
} from './types.js';

export interface ExtractOptions {
  limits?: Partial<ExtractLimits>;
  ocr?: OcrEngine;
  /** The caller gives the bytes away: pdf.js may take (detach) them instead of a copy. */
  consumeBytes?: boolean;
}

async function readImage(input: ExtractInput, ctx: ReadContext): Promise<ReadResult> {
  const passages: ReadResult['passages'] = [];
  if (!ctx.ocr || ctx.limits.ocrMaxPages < 1) return { passages, pages: 1, ocrPages: 0, ocr: false };
  let text: string;
  try {
    text = await ctx.ocr.image(input.bytes, imageType(input.bytes) ?? input.contentType);
  } catch (err) {
    throw ocrFault(err).failure;
  }
  addPassage(passages, ctx, 1, text);
  return { passages, pages: 1, ocrPages: 1, ocr: passages.length > 0 };
}

function read(format: DocumentFormat, input: ExtractInput, ctx: ReadContext, consume: boolean): Promise<ReadResult> {
  switch (format) {
    case 'pdf':
      return readPdf(input.bytes, ctx, consume);
    case 'docx':
    case 'pptx':
    case 'xlsx':
    case 'odt':
      return readOffice(format, input.bytes, ctx);
    case 'text':
    case 'markdown':
    case 'html':
    case 'csv':
      return Promise.resolve().then(() => readTextFormat(format, input.bytes, ctx));
    case 'image':
      return readImage(input, ctx);
  }
}

/**
 * One file version's bytes → its text, in passages by page, slide or sheet, with its language.
 * Every way a document can fail ends in an ExtractionFailure; `timeoutMs` is checked between pages
 * here, and enforced for code that never yields by the sandbox (run hostile input there).
 */
export async function extract(input: ExtractInput, opts: ExtractOptions = {}): Promise<Extraction> {
  const limits = resolveLimits(opts.limits);
  const ctx = createContext(limits, opts.ocr);
  if (input.bytes.byteLength > limits.maxBytes) {
    throw new ExtractionFailure('too-large', `the file has ${input.bytes.byteLength} bytes, more than ${limits.maxBytes}`);
  }
  const format = detectFormat(input.contentType, input.name, input.bytes);
  if (format === null) {
    if (isEncryptedOffice(input.contentType, input.name, input.bytes)) {
      throw new ExtractionFailure('encrypted', 'the Office document is protected by a password');
    }
    throw new ExtractionFailure('unsupported', `no text can be read from ${input.contentType || 'this type'} (${input.name})`);
  }
  let result: ReadResult;
  try {
    result = await read(format, input, ctx, opts.consumeBytes ?? false);
  } catch (err) {
    if (err instanceof ExtractionFailure) throw err;
    // a parser that throws something of its own has met input it cannot read
    throw new ExtractionFailure('corrupt', `the ${format} could not be read: ${(err as Error | undefined)?.message ?? String(err)}`, { cause: err });
  }
  const text = result.passages.map((p) => p.text).join('\n\n');
  return {
    format,
    text,
    passages: result.passages,
    pages: result.pages,
    language: detectLanguage(text),
    ocr: result.ocr,
    ocrPages: result.ocrPages,
    truncated: ctx.budget.truncated,
  };
}

/** Reads a stream up to `maxBytes`; fails 'too-large' as soon as it passes, without reading the rest. */
export async function readBounded(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  // leaving the loop by a throw returns the iterator, which lets the source stop producing
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new ExtractionFailure('too-large', `the stream passed ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
