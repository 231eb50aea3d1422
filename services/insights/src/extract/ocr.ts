import { ExtractionFailure, type FailureReason } from './types.js';

// The codes the vision module's errors carry (src/vision VisionError), read by shape so that this
// module does not depend on that one. An engine that broke is worth a retry; input it refused is not.
const INPUT_CODES: Readonly<Record<string, FailureReason>> = {
  'too-large': 'too-large',
  unreadable: 'corrupt',
  unsupported: 'unsupported',
  timeout: 'timeout',
};
const ENGINE_CODES: ReadonlySet<string> = new Set(['ocr-failed', 'closed']);

/** Whose fault an OCR error was, and the failure it makes for the document. */
export interface OcrFault {
  /** 'engine': OCR itself broke (retry later); 'input': it could not read this picture or page. */
  fault: 'engine' | 'input';
  failure: ExtractionFailure;
}

/** Classifies what an OcrEngine threw; an error without a known code is the input's fault. */
export function ocrFault(err: unknown): OcrFault {
  if (err instanceof ExtractionFailure) return { fault: err.transient ? 'engine' : 'input', failure: err };
  const code = (err as { code?: unknown } | null)?.code;
  const message = `OCR failed: ${(err as Error | undefined)?.message ?? String(err)}`;
  if (typeof code === 'string' && ENGINE_CODES.has(code)) {
    return { fault: 'engine', failure: new ExtractionFailure('crashed', message, { transient: true, cause: err }) };
  }
  const reason = (typeof code === 'string' && INPUT_CODES[code]) || 'corrupt';
  return { fault: 'input', failure: new ExtractionFailure(reason, message, { cause: err }) };
}
