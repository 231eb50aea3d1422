// The sandbox's worker thread: runs one extraction at a time for the parent, whatever it costs.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { extract } from './extract.js';
import type { FromWorker, ToWorker, WorkerSetup } from './protocol.js';
import { type ExtractInput, type ExtractedPreview, ExtractionFailure, type OcrEngine } from './types.js';

type ClosableOcrEngine = OcrEngine & { close(): Promise<void> };

if (isMainThread || !parentPort) throw new Error('worker.ts runs inside the extraction sandbox only');
const port = parentPort;
const setup = workerData as WorkerSetup;

let engine: Promise<ClosableOcrEngine> | undefined;

/** The OCR module is loaded on the first page that needs it, so text-only work never pays for it. */
function startEngine(specifier: string): Promise<ClosableOcrEngine> {
  engine ??= (async () => {
    const module = (await import(specifier)) as { createOcrEngine?: () => Promise<ClosableOcrEngine> };
    if (typeof module.createOcrEngine !== 'function') throw new Error(`${specifier} exports no createOcrEngine`);
    return module.createOcrEngine();
  })().catch((err: unknown) => {
    engine = undefined;
    // the engine, not the document, failed: worth a retry later
    throw new ExtractionFailure('crashed', `the OCR engine did not start: ${(err as Error).message}`, { transient: true, cause: err });
  });
  return engine;
}

function lazyOcr(specifier: string | null): OcrEngine | undefined {
  if (!specifier) return undefined;
  return {
    image: async (bytes, contentType) => (await startEngine(specifier)).image(bytes, contentType),
    pdfPage: async (page) => (await startEngine(specifier)).pdfPage(page),
  };
}

const ocr = lazyOcr(setup.ocrModule);

let previews: Promise<{ makePreview?: (input: ExtractInput) => Promise<ExtractedPreview | null> }> | undefined;

/** A preview of the input, or null: a picture that cannot be made never fails the extraction. */
async function previewOf(specifier: string, input: ExtractInput): Promise<ExtractedPreview | null> {
  try {
    previews ??= import(specifier) as Promise<{ makePreview?: (input: ExtractInput) => Promise<ExtractedPreview | null> }>;
    const module = await previews;
    return (await module.makePreview?.(input)) ?? null;
  } catch {
    return null;
  }
}

function send(message: FromWorker): void {
  port.postMessage(message);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'close') {
    void (async () => {
      const running = await engine?.catch(() => undefined);
      await running?.close().catch(() => undefined);
      process.exit(0);
    })();
    return;
  }
  const { id, input, limits } = message;
  // the bytes were cloned for this job alone, so pdf.js may have them without another copy,
  // unless the preview needs them after
  const preview = setup.previewModule;
  extract(input, { limits, ocr, consumeBytes: !preview })
    .then(async (extraction) => (preview ? { ...extraction, preview: await previewOf(preview, input) } : extraction))
    .then(
    (extraction) => send({ type: 'done', id, extraction }),
    (err: unknown) => {
      const failure =
        err instanceof ExtractionFailure ? err
        : new ExtractionFailure('crashed', `extraction failed unexpectedly: ${(err as Error | undefined)?.message ?? String(err)}`);
      send({ type: 'failed', id, reason: failure.reason, message: failure.message, transient: failure.transient });
    },
  );
});

send({ type: 'ready' });
