import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Worker as Thread } from 'node:worker_threads';
import sharp from './libvips.js';
import { createWorker, OEM, type Worker } from 'tesseract.js';
import { UPSCALE_BELOW, asImageError, finishForOcr, inspectImage, normaliseForOcr, reason } from './image.js';
import { drawPdfPage, OCR_DPI, POINTS_PER_INCH, releasePixels } from './render.js';
import { pageScan } from './scan.js';
import { DEFAULT_MAX_PIXELS, VisionError, type OcrEngine, type PDFPageProxy } from './types.js';

export interface OcrEngineOptions {
  /** Largest picture or rendered page, in pixels. Default 25 megapixels. */
  maxPixels?: number;
  /**
   * Time budget of one picture or page, rendering included. Tesseract cannot be interrupted,
   * so a job over budget costs the worker: it is ended and a fresh one starts for the next job.
   * Default 60 s.
   */
  timeoutMs?: number;
  /**
   * Resolution scanned PDF pages are drawn at. Default 300, where tesseract reads body text
   * best; 200 draws less than half the pixels, for a machine short of memory.
   */
  pdfDpi?: number;
  /**
   * Straightens skewed text (up to 15°) before reading: tesseract copes with a degree or
   * two, and misreads more and more beyond. The slant is measured on a 600 px copy, so it
   * costs little. Default true.
   */
  deskew?: boolean;
  /** Pages of a multi-page TIFF (a fax, a scanner batch) read at most. Default 20. */
  maxImagePages?: number;
  /**
   * WebAssembly memory only grows: after a picture this large the worker keeps hundreds of
   * megabytes it no longer needs, so it is replaced once the job is done. Default 12
   * megapixels, above an A4 page at 300 dpi (8.7), so scanned documents keep their worker.
   */
  recycleAbovePixels?: number;
  /** Told each time a tesseract worker ends and why, for metrics and logs. */
  onWorkerEnd?: (reason: WorkerEndReason) => void;
}

export type WorkerEndReason = 'recycled' | 'timeout' | 'failed' | 'closed';

const DEFAULTS = { deskew: true, pdfDpi: OCR_DPI, timeoutMs: 60_000, maxImagePages: 20, recycleAbovePixels: 12_000_000 };

interface LanguageData {
  code: string;
  gzip: boolean;
  langPath: string;
}

/**
 * The English model from @tesseract.js-data/eng, read from node_modules so nothing is fetched
 * at run time. The package's index.js points at its 4.0.0 data, which carries the legacy
 * engine too; the LSTM-only engine used here reads the 4.0.0_best_int data shipped beside it
 * (the file tesseract.js itself picks for this engine: a third of the size, as accurate).
 */
function englishData(): LanguageData {
  const require = createRequire(import.meta.url);
  const shipped = require('@tesseract.js-data/eng') as LanguageData;
  const langPath = join(dirname(shipped.langPath), '4.0.0_best_int');
  const file = join(langPath, `${shipped.code}.traineddata${shipped.gzip ? '.gz' : ''}`);
  if (!existsSync(file)) {
    throw new VisionError('ocr-failed', `tesseract language data ${file} is missing (reinstall @tesseract.js-data/eng)`);
  }
  return { code: shipped.code, gzip: shipped.gzip, langPath };
}

/** Tesseract keeps lines and paragraphs; trailing blanks and runs of empty lines go. */
function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

interface Live {
  worker: Worker;
  /** Settles when the worker's thread has exited, whoever ended it. */
  exited: Promise<void>;
}

interface Job<T> {
  run(signal: AbortSignal): Promise<T>;
  label: string;
}

class TesseractEngine implements OcrEngine {
  readonly #maxPixels: number;
  readonly #timeoutMs: number;
  readonly #maxImagePages: number;
  readonly #recycleAbovePixels: number;
  readonly #pdfDpi: number;
  readonly #deskew: boolean;
  readonly #onWorkerEnd: (reason: WorkerEndReason) => void;
  /** The current job gave the worker a picture over `#recycleAbovePixels`. */
  #oversized = false;
  readonly #data: LanguageData;
  #live: Promise<Live> | null = null;
  /** The worker of `#live` once it has started, for the thread's exit listener to compare. */
  #liveWorker: Worker | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Fails the job in flight when the worker thread dies under it. */
  #onDeath: ((err: VisionError) => void) | null = null;

  constructor(data: LanguageData, opts: OcrEngineOptions) {
    this.#data = data;
    this.#maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#maxImagePages = opts.maxImagePages ?? DEFAULTS.maxImagePages;
    this.#recycleAbovePixels = opts.recycleAbovePixels ?? DEFAULTS.recycleAbovePixels;
    this.#pdfDpi = opts.pdfDpi ?? DEFAULTS.pdfDpi;
    this.#deskew = opts.deskew ?? DEFAULTS.deskew;
    this.#onWorkerEnd = opts.onWorkerEnd ?? (() => undefined);
  }

  /** Starts the worker now, so the first document does not pay for it and a broken install shows at boot. */
  async start(): Promise<void> {
    await this.#ensureWorker();
  }

  image(bytes: Uint8Array, contentType: string): Promise<string> {
    return this.#enqueue({
      label: `${mediaType(contentType) || 'image'} of ${bytes.length} bytes`,
      run: async (signal) => {
        // The bytes decide the format: declared types are often wrong, and GIF or WebP
        // pictures of text read as well as the three formats promised.
        const image = await inspectImage(bytes, this.#maxPixels);
        const pages = image.format === 'tiff' ? Math.min(image.pages, this.#maxImagePages) : 1;
        const texts: string[] = [];
        for (let page = 0; page < pages; page++) {
          const { png, width, height } = await normaliseForOcr(bytes, {
            maxPixels: this.#maxPixels,
            page,
            deskew: this.#deskew,
          });
          texts.push(await this.#recognize(png, width * height, signal));
        }
        return texts.filter((text) => text !== '').join('\n\n');
      },
    });
  }

  pdfPage(page: PDFPageProxy): Promise<string> {
    return this.#enqueue({
      label: `PDF page ${page.pageNumber}`,
      run: async (signal) => {
        const scan = await pageScan(page).catch(() => null);
        if (scan) {
          try {
            const ready = await finishForOcr(scan.grey, scan, {
              maxPixels: this.#maxPixels,
              deskew: this.#deskew,
              enlarge: Math.max(scan.width, scan.height) < UPSCALE_BELOW,
              density: scan.density,
            }).catch((err: unknown) => {
              throw asImageError(err, `scanned picture of PDF page ${page.pageNumber}`);
            });
            return await this.#recognize(ready.png, ready.width * ready.height, signal);
          } finally {
            page.cleanup();
          }
        }
        const scale = this.#pdfDpi / POINTS_PER_INCH;
        const canvas = await drawPdfPage(page, { scale, maxPixels: this.#maxPixels, signal });
        const { width, height } = canvas;
        // Straight from the canvas's pixels to a grey PNG: no colour PNG encoded and decoded
        // between. data() lends the canvas's own memory, which a resize or the garbage
        // collector frees under a reader: sharp gets a copy and the surface goes at once.
        const pixels = releasePixels(canvas);
        // OCR is done drawing: the page's decoded images need not wait for the garbage collector.
        page.cleanup();
        // Drawn smaller when the page is over the pixel budget: tesseract is told what it got.
        const inches = page.getViewport({ scale: 1 }).width / POINTS_PER_INCH;
        const grey = sharp(pixels, { raw: { width, height, channels: 4 } }).greyscale();
        const ready = await finishForOcr(grey, { width, height }, {
          maxPixels: this.#maxPixels,
          deskew: this.#deskew,
          enlarge: false,
          density: width / inches,
        }).catch((err: unknown) => {
          throw asImageError(err, `drawn PDF page ${page.pageNumber}`);
        });
        return this.#recognize(ready.png, ready.width * ready.height, signal);
      },
    });
  }

  /**
   * Ends the tesseract worker and waits for its thread to exit; the job in flight and those
   * still queued fail with a "closed" error. Calling it again does nothing.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#onDeath?.(new VisionError('closed', 'the OCR engine was closed while reading'));
    await this.#stopWorker('closed');
  }

  #enqueue<T>(job: Job<T>): Promise<T> {
    const result = this.#queue.then(() => this.#runNow(job));
    // The queue only orders jobs; a failed job must not fail the ones behind it.
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #runNow<T>(job: Job<T>): Promise<T> {
    // Starting a worker again after a failure is not charged to the next job's budget.
    await this.#ensureWorker();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const interrupted = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new VisionError('timeout', `OCR of ${job.label} took over ${this.#timeoutMs} ms and was abandoned`));
      }, this.#timeoutMs);
      this.#onDeath = (err) => {
        controller.abort();
        reject(err);
      };
    });
    this.#oversized = false;
    try {
      const text = await Promise.race([job.run(controller.signal), interrupted]);
      if (this.#oversized) await this.#stopWorker('recycled');
      return text;
    } catch (err) {
      // A worker that timed out or failed may be mid-recognition: only a new one is safe to use.
      if (err instanceof VisionError && (err.code === 'timeout' || err.code === 'ocr-failed')) {
        await this.#stopWorker(err.code === 'timeout' ? 'timeout' : 'failed');
      } else if (this.#oversized) {
        await this.#stopWorker('recycled');
      }
      throw err;
    } finally {
      clearTimeout(timer);
      this.#onDeath = null;
    }
  }

  async #recognize(png: Buffer, pixels: number, signal: AbortSignal): Promise<string> {
    const { worker } = await this.#ensureWorker();
    if (signal.aborted) throw new VisionError('timeout', 'OCR was abandoned');
    if (pixels > this.#recycleAbovePixels) this.#oversized = true;
    try {
      const { data } = await worker.recognize(png, {}, { text: true });
      return tidy(data.text);
    } catch (err) {
      throw new VisionError('ocr-failed', `tesseract failed: ${reason(err)}`, { cause: err });
    }
  }

  #ensureWorker(): Promise<Live> {
    if (this.#closed) return Promise.reject(new VisionError('closed', 'the OCR engine is closed'));
    this.#live ??= this.#spawn();
    return this.#live;
  }

  async #spawn(): Promise<Live> {
    let worker: Worker;
    try {
      worker = await createWorker(this.#data.code, OEM.LSTM_ONLY, {
        langPath: this.#data.langPath,
        gzip: this.#data.gzip,
        // Nothing is written beside the process (the default caches the model in the cwd).
        cacheMethod: 'none',
        // Without a handler tesseract.js rethrows a failed job inside its message listener,
        // which would be an uncaught exception; the job's own promise carries the failure.
        errorHandler: () => undefined,
      });
    } catch (err) {
      this.#live = null;
      throw new VisionError('ocr-failed', `tesseract could not start: ${reason(err)}`, { cause: err });
    }
    // tesseract.js keeps its worker_threads Worker on an untyped field and listens to
    // neither its errors nor its exit: an unhandled 'error' would crash the process, and an
    // exit would leave the job in flight waiting for ever.
    const thread = (worker as unknown as { worker?: Thread }).worker;
    thread?.on('error', (err) => this.#threadDied(worker, `tesseract worker failed: ${reason(err)}`));
    const exited = new Promise<void>((resolve) => {
      if (thread === undefined) return resolve();
      thread.once('exit', (code) => {
        this.#threadDied(worker, `tesseract worker exited (code ${code})`);
        resolve();
      });
    });
    this.#liveWorker = worker;
    return { worker, exited };
  }

  #threadDied(worker: Worker, message: string): void {
    if (this.#liveWorker !== worker) return;
    this.#live = null;
    this.#liveWorker = null;
    this.#onWorkerEnd('failed');
    this.#onDeath?.(new VisionError('ocr-failed', message));
  }

  async #stopWorker(why: WorkerEndReason): Promise<void> {
    const pending = this.#live;
    this.#live = null;
    this.#liveWorker = null;
    const live = await pending?.catch(() => null);
    if (!live) return;
    await live.worker.terminate();
    await live.exited;
    this.#onWorkerEnd(why);
  }
}

/**
 * One tesseract worker with the English model, started now and reused for every call; calls
 * run one after the other. Pictures are normalised with sharp first and PDF pages drawn at
 * 300 dpi, both within `maxPixels`. Failures are `VisionError`s; the engine keeps working
 * after any of them until `close()`.
 */
export async function createOcrEngine(
  opts: OcrEngineOptions = {},
): Promise<OcrEngine & { close(): Promise<void> }> {
  const engine = new TesseractEngine(englishData(), opts);
  await engine.start();
  return engine;
}
