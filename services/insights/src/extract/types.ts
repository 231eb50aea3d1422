import type { PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** What one document may cost before extraction gives up on it. */
export interface ExtractLimits {
  /** Input size cap: beyond it, 'too-large' without reading on. */
  maxBytes: number;
  /** PDF pages, slides or sheets: beyond, 'too-many-pages'. */
  maxPages: number;
  /** Text kept: beyond, the text is cut and `truncated` is set (not a failure). */
  maxChars: number;
  /** Zip-based formats: the sum of inflated bytes read. */
  maxUncompressedBytes: number;
  /** Per zip entry: beyond, 'zip-bomb'. */
  maxCompressionRatio: number;
  /** Zip entries in the central directory. */
  maxEntries: number;
  /** Per document, wall clock. The sandbox enforces it; `extract` also checks it between pages. */
  timeoutMs: number;
  /** Pages sent to OCR at most. */
  ocrMaxPages: number;
}

export const DEFAULT_LIMITS: Readonly<ExtractLimits> = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxPages: 2000,
  maxChars: 2_000_000,
  maxUncompressedBytes: 256 * 1024 * 1024,
  maxCompressionRatio: 100,
  maxEntries: 10_000,
  timeoutMs: 60_000,
  ocrMaxPages: 50,
});

/** The defaults with the caller's overrides; a limit that is not a positive number is a bug, so it throws. */
export function resolveLimits(partial?: Partial<ExtractLimits>): ExtractLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(partial ?? {}) as [keyof ExtractLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new TypeError(`unknown extraction limit ${key}`);
    // ocrMaxPages may be 0 (OCR off); every other limit must leave room for something
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (value === 0 && key !== 'ocrMaxPages')) {
      throw new TypeError(`extraction limit ${key} must be a positive number, got ${String(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}

export type FailureReason =
  | 'too-large'
  | 'too-many-pages'
  | 'timeout'
  | 'memory'
  | 'unsupported'
  | 'corrupt'
  | 'encrypted'
  | 'zip-bomb'
  | 'crashed';

const FAILURE_REASONS: ReadonlySet<string> = new Set<FailureReason>([
  'too-large', 'too-many-pages', 'timeout', 'memory', 'unsupported', 'corrupt', 'encrypted', 'zip-bomb', 'crashed',
]);

/** Whether a string names a failure reason (for values that crossed a thread or a wire). */
export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === 'string' && FAILURE_REASONS.has(value);
}

/**
 * Why a document could not be read. `transient` says whether trying the same bytes again may
 * succeed: only a worker that died of something other than the document's known limits is worth
 * a retry; a document that is too big, broken or hostile will be so again.
 */
export class ExtractionFailure extends Error {
  override readonly name = 'ExtractionFailure';
  readonly reason: FailureReason;
  readonly transient: boolean;

  constructor(reason: FailureReason, message: string, opts: { transient?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.reason = reason;
    this.transient = opts.transient ?? reason === 'crashed';
  }
}

/** A piece of the text with where it came from. */
export interface Passage {
  /** 1-based page, slide or sheet where the format has them; null for the whole text of a flat format. */
  page: number | null;
  text: string;
}

export type DocumentFormat =
  | 'pdf'
  | 'docx'
  | 'pptx'
  | 'xlsx'
  | 'odt'
  | 'text'
  | 'markdown'
  | 'html'
  | 'csv'
  | 'image';

export interface Extraction {
  format: DocumentFormat;
  /** All text, passages joined by blank lines. */
  text: string;
  /** In document order; empty pages leave no passage. */
  passages: Passage[];
  /** Pages, slides or sheets; 1 for formats without them. */
  pages: number;
  /** ISO 639-3 (franc-min); null when there is too little text to tell. */
  language: string | null;
  /** Some text came from OCR. */
  ocr: boolean;
  ocrPages: number;
  /** Some text was left out: past maxChars, or scanned pages past ocrMaxPages or the time OCR may take. */
  truncated: boolean;
  /**
   * A picture of it (first page, a thumbnail), when the sandbox was given a preview module and one
   * could be made: drawn in the worker too, so a hostile file's first page costs only the worker.
   */
  preview?: ExtractedPreview | null;
}

export interface ExtractedPreview {
  bytes: Uint8Array;
  contentType: string;
  width: number;
  height: number;
}

/** What OCR the caller offers (the vision module implements it). */
export interface OcrEngine {
  /** PNG, JPEG or TIFF bytes → recognised text. */
  image(bytes: Uint8Array, contentType: string): Promise<string>;
  /** A PDF page with no text layer (a scan) → recognised text. */
  pdfPage(page: PDFPageProxy): Promise<string>;
}

/** One file version to read. */
export interface ExtractInput {
  bytes: Uint8Array;
  contentType: string;
  name: string;
}
