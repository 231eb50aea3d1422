// The same declaration the extraction side imports, so the two interfaces are one type.
import type { PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';

export type { PDFPageProxy };

/** What OCR the extraction worker is offered (src/extract declares the same shape). */
export interface OcrEngine {
  /** PNG, JPEG or TIFF bytes → recognised text. */
  image(bytes: Uint8Array, contentType: string): Promise<string>;
  /** A PDF page with no text layer (a scan) → recognised text. `page` is pdf.js's PDFPageProxy. */
  pdfPage(page: PDFPageProxy): Promise<string>;
}

/** Why a vision operation gave up; callers map it to their own failure reasons. */
export type VisionErrorCode =
  /** The picture or page is larger than the pixel budget (a decompression bomb, say). */
  | 'too-large'
  /** The bytes are not a picture or PDF we can decode: corrupt, truncated, encrypted. */
  | 'unreadable'
  /** A decodable format this module does not handle. */
  | 'unsupported'
  /** The work took longer than its time budget and was abandoned. */
  | 'timeout'
  /** Tesseract failed or its worker died. */
  | 'ocr-failed'
  /** The engine was closed. */
  | 'closed';

/** An Error whose `code` says why, with a message fit for a log line or a failure reason. */
export class VisionError extends Error {
  override readonly name = 'VisionError';

  constructor(
    readonly code: VisionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 25 megapixels: an A4 page at 300 dpi is 8.7, a 24 MP camera photo fits. */
export const DEFAULT_MAX_PIXELS = 25_000_000;
