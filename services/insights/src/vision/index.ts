/**
 * Vision for insights: OCR of pictures and scanned PDF pages, PDF pages drawn as pictures,
 * and previews. The extraction worker imports `createOcrEngine` from here.
 */
export { createOcrEngine, type OcrEngineOptions, type WorkerEndReason } from './ocr.js';
export { pdfDocumentOptions, renderPdfPage, type RenderOptions } from './render.js';
export { makePreview, type Preview, type PreviewInput, type PreviewOptions } from './preview.js';
export { VisionError, type OcrEngine, type VisionErrorCode } from './types.js';
