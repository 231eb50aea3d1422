/**
 * Extraction: one file version's bytes → its text, safely (issue 14, item 1).
 *
 * In the service, read the blob with `readBounded(stream, limits.maxBytes)`, then
 * `sandbox.run({ bytes, contentType, name })` on one `createExtractionSandbox({ ocrModule })` for
 * the process (closed on shutdown). A rejection is always an ExtractionFailure: its `reason` goes
 * into DocumentIndexFailed, its `transient` says whether to retry with backoff.
 */
export { extract, readBounded, type ExtractOptions } from './extract.js';
export { detectFormat } from './detect.js';
export { detectLanguage, textSearchConfig } from './language.js';
export { createExtractionSandbox, type ExtractionSandbox, type SandboxOptions } from './sandbox.js';
export {
  DEFAULT_LIMITS,
  ExtractionFailure,
  isFailureReason,
  resolveLimits,
  type DocumentFormat,
  type ExtractInput,
  type ExtractedPreview,
  type ExtractLimits,
  type Extraction,
  type FailureReason,
  type OcrEngine,
  type Passage,
} from './types.js';
