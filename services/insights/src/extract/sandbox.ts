import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerSetup } from './protocol.js';
import {
  ExtractionFailure,
  isFailureReason,
  resolveLimits,
  type ExtractInput,
  type ExtractLimits,
  type Extraction,
} from './types.js';

export interface SandboxOptions {
  /** Limits for every job (a job may override them). */
  limits?: Partial<ExtractLimits>;
  /** Path or URL of a module exporting `createOcrEngine(): Promise<OcrEngine & { close(): Promise<void> }>`. */
  ocrModule?: string;
  /**
   * Path or URL of a module exporting `makePreview({ bytes, contentType }): Promise<ExtractedPreview | null>`:
   * each extraction that succeeds also carries a preview, made in the worker.
   */
  previewModule?: string;
  /** The worker's V8 old-generation heap cap (default 256 MiB); past it the job ends 'memory'. */
  maxOldGenerationSizeMb?: number;
  /** How long a new worker may take to load before the job fails 'crashed' (default 30 s). */
  startupTimeoutMs?: number;
}

export interface ExtractionSandbox {
  /** Extracts in the worker; queued behind the job running. Rejects with an ExtractionFailure. */
  run(input: ExtractInput, opts?: { limits?: Partial<ExtractLimits> }): Promise<Extraction>;
  /** Refuses queued jobs, lets the running one finish (its timeout bounds it), then stops the worker. */
  close(): Promise<void>;
}

// setTimeout fires at once past this (a 32-bit signed count of milliseconds)
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Job {
  id: number;
  input: ExtractInput;
  limits: ExtractLimits;
  resolve(extraction: Extraction): void;
  reject(failure: ExtractionFailure): void;
}

interface Running {
  worker: Worker;
  ready: Promise<void>;
  /** The last 'error' the worker raised before it exited. */
  error: (Error & { code?: string }) | null;
}

/** tsx's ESM API, found through its package exports (require.resolve would pick its CommonJS build). */
function tsxApiUrl(from: string): string {
  const require = createRequire(from);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
  const target = manifest.exports?.['./esm/api']?.import?.default;
  if (!target) throw new Error('tsx has no ESM API to load the TypeScript worker with');
  return pathToFileURL(join(dirname(manifestPath), target)).href;
}

/**
 * Compiled, the worker is the .js beside this file. From TypeScript sources (vitest, or
 * `node --import tsx`) it is a .ts file: on Node 20 a worker's `--import tsx` hooks are not in
 * place when its entry loads, so a small bootstrap registers tsx first and then imports it.
 */
function workerEntry(): { entry: URL | string; eval: boolean; execArgv: string[] | undefined } {
  const here = import.meta.url;
  if (!/\.[cm]?ts$/.test(new URL(here).pathname)) return { entry: new URL('./worker.js', here), eval: false, execArgv: undefined };
  const worker = new URL('./worker.ts', here).href;
  const require = createRequire(here);
  // tsx would run pdf.js's 3 MB of plain JavaScript through esbuild (seconds, ~100 MB of heap per
  // worker); loaded before tsx is registered, the module cache keeps the native copies
  const preload = ['pdfjs-dist/legacy/build/pdf.mjs', 'pdfjs-dist/legacy/build/pdf.worker.mjs'].map((m) => pathToFileURL(require.resolve(m)).href);
  const bootstrap = `Promise.all(${JSON.stringify(preload)}.map((m) => import(m)))
    .then(() => import(${JSON.stringify(tsxApiUrl(here))}))
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); })
    .catch((err) => { setImmediate(() => { throw err; }); });`;
  return { entry: bootstrap, eval: true, execArgv: ['--conditions=development'] };
}

function ocrSpecifier(ocrModule: string | undefined): string | null {
  if (!ocrModule) return null;
  return isAbsolute(ocrModule) ? pathToFileURL(ocrModule).href : ocrModule;
}

/**
 * Runs `extract` in a long-lived worker thread, one job at a time, so that a hostile document can
 * only cost that worker: past `timeoutMs` it is terminated ('timeout'), past its heap cap it dies
 * ('memory'), any other death is 'crashed'; the next job gets a fresh worker.
 */
export function createExtractionSandbox(opts: SandboxOptions = {}): ExtractionSandbox {
  const baseLimits = resolveLimits(opts.limits);
  const entry = workerEntry();
  const setup: WorkerSetup = { ocrModule: ocrSpecifier(opts.ocrModule), previewModule: ocrSpecifier(opts.previewModule) };
  const startupTimeoutMs = opts.startupTimeoutMs ?? 30_000;
  const queue: Job[] = [];
  let running: Running | null = null;
  let current: Job | null = null;
  let nextId = 1;
  let closing = false;
  let drained: (() => void) | null = null;

  function spawn(): Running {
    const worker = new Worker(entry.entry, {
      eval: entry.eval,
      workerData: setup,
      execArgv: entry.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb ?? 256 },
    });
    // a parked worker must not keep the process alive on its own
    worker.unref();
    const state: Running = { worker, ready: Promise.resolve(), error: null };
    state.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ExtractionFailure('crashed', 'the extraction worker did not start in time')), startupTimeoutMs);
      worker.once('message', (message: FromWorker) => {
        clearTimeout(timer);
        if (message.type === 'ready') resolve();
        else reject(new ExtractionFailure('crashed', 'the extraction worker spoke before it was ready'));
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        reject(new ExtractionFailure('crashed', `the extraction worker exited while starting${state.error ? `: ${state.error.message}` : ''}`));
      });
    });
    state.ready.catch(() => undefined);
    worker.on('error', (err: Error & { code?: string }) => {
      state.error = err;
    });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready' || !current || message.id !== current.id) return;
      if (message.type === 'done') settle(current, null, message.extraction);
      else {
        const reason = isFailureReason(message.reason) ? message.reason : 'crashed';
        settle(current, new ExtractionFailure(reason, message.message, { transient: message.transient }));
      }
    });
    worker.on('exit', (code) => {
      if (running?.worker !== worker) return;
      running = null;
      if (!current) return;
      const job = current;
      const cause = state.error;
      if (cause?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        settle(job, new ExtractionFailure('memory', 'the document needed more memory than the extraction worker has', { cause }));
      } else {
        settle(job, new ExtractionFailure('crashed', `the extraction worker died (exit code ${code})${cause ? `: ${cause.message}` : ''}`, { cause }));
      }
    });
    return state;
  }

  let timer: NodeJS.Timeout | null = null;

  function settle(job: Job, failure: ExtractionFailure | null, extraction?: Extraction): void {
    if (current !== job) return;
    current = null;
    if (timer) clearTimeout(timer);
    timer = null;
    if (failure) job.reject(failure);
    else job.resolve(extraction!);
    setImmediate(pump);
  }

  function stopWorker(): void {
    const stopping = running;
    running = null;
    void stopping?.worker.terminate();
  }

  function pump(): void {
    if (current) return;
    const job = queue.shift();
    if (!job) {
      if (closing) finish();
      return;
    }
    current = job;
    running ??= spawn();
    const state = running;
    state.ready.then(
      () => {
        if (current !== job) return;
        timer = setTimeout(() => {
          // terminate() stops even a loop that never yields; the job does not wait for the exit
          stopWorker();
          settle(job, new ExtractionFailure('timeout', `extraction took longer than ${job.limits.timeoutMs} ms`));
        }, Math.min(job.limits.timeoutMs, MAX_TIMER_MS));
        const message: ToWorker = { type: 'job', id: job.id, input: job.input, limits: job.limits };
        state.worker.postMessage(message);
      },
      (failure: ExtractionFailure) => {
        if (running === state) stopWorker();
        settle(job, failure);
      },
    );
  }

  function finish(): void {
    const last = running;
    running = null;
    if (!last) {
      drained?.();
      return;
    }
    const force = setTimeout(() => void last.worker.terminate(), 5_000);
    last.worker.once('exit', () => {
      clearTimeout(force);
      drained?.();
    });
    last.ready.then(
      () => last.worker.postMessage({ type: 'close' } satisfies ToWorker),
      () => void last.worker.terminate(),
    );
  }

  let closed: Promise<void> | null = null;
  // the first job should not wait for a worker to load pdf.js
  running = spawn();

  return {
    run(input, runOpts = {}) {
      if (closing) return Promise.reject(new ExtractionFailure('crashed', 'the extraction sandbox is closed'));
      let limits: ExtractLimits;
      try {
        limits = resolveLimits({ ...baseLimits, ...runOpts.limits });
      } catch (err) {
        return Promise.reject(err);
      }
      // refused here, before the bytes are copied into the worker
      if (input.bytes.byteLength > limits.maxBytes) {
        return Promise.reject(new ExtractionFailure('too-large', `the file has ${input.bytes.byteLength} bytes, more than ${limits.maxBytes}`));
      }
      return new Promise<Extraction>((resolve, reject) => {
        queue.push({ id: nextId++, input, limits, resolve, reject });
        pump();
      });
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        drained = resolve;
        for (const job of queue.splice(0)) job.reject(new ExtractionFailure('crashed', 'the extraction sandbox closed before this job ran'));
        if (!current) finish();
      });
      return closed;
    },
  };
}
