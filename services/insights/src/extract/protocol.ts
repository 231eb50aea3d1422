import type { ExtractInput, ExtractLimits, Extraction, FailureReason } from './types.js';

/** What the sandbox hands its worker when it starts. */
export interface WorkerSetup {
  /** A file URL or specifier the worker imports for `createOcrEngine`; none: no OCR. */
  ocrModule: string | null;
  /** A file URL or specifier the worker imports for `makePreview`; none: no previews. */
  previewModule: string | null;
}

export type ToWorker =
  | { type: 'job'; id: number; input: ExtractInput; limits: ExtractLimits }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; extraction: Extraction }
  | { type: 'failed'; id: number; reason: FailureReason; message: string; transient: boolean };
