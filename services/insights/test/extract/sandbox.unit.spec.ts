import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createExtractionSandbox, ExtractionFailure } from '../../src/extract/index.js';
import { fakePng, pdf, pdfClaimingPages, zip } from './corpus.js';
import { WORKER_TEST_TIMEOUT_MS } from '../support/timeouts.js';

const ocrModule = fileURLToPath(new URL('./fixtures/scripted-ocr.ts', import.meta.url));
const png = (script: string) => ({ bytes: fakePng(script), contentType: 'image/png', name: `${script}.png` });

async function failure(promise: Promise<unknown>): Promise<ExtractionFailure> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ExtractionFailure);
  return err as ExtractionFailure;
}

describe('extraction sandbox', { timeout: WORKER_TEST_TIMEOUT_MS }, () => {
  const sandbox = createExtractionSandbox({ ocrModule, maxOldGenerationSizeMb: 96, limits: { timeoutMs: 20_000 } });
  afterAll(() => sandbox.close());

  it('extracts a real PDF in its worker', async () => {
    const bytes = await pdf([['The sandbox read this juniper sentence'], ['And this second page too']]);
    const result = await sandbox.run({ bytes, contentType: 'application/pdf', name: 'a.pdf' });
    expect(result).toMatchObject({ format: 'pdf', pages: 2, ocr: false });
    expect(result.passages.map((p) => p.text)).toEqual(['The sandbox read this juniper sentence', 'And this second page too']);
  });

  it('a hostile PDF and a zip bomb end in their reasons, and the worker goes on', async () => {
    const pages = await failure(sandbox.run({ bytes: pdfClaimingPages(10_000, 10_000), contentType: 'application/pdf', name: 'many.pdf' }));
    expect(pages.reason).toBe('too-many-pages');
    const bomb = zip([{ name: 'word/document.xml', data: new Uint8Array(16 * 1024 * 1024) }]);
    const burst = await failure(sandbox.run({ bytes: bomb, contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', name: 'bomb.docx' }));
    expect(burst.reason).toBe('zip-bomb');
    expect((await sandbox.run(png('fine'))).text).toBe('recognised: fine');
  });

  it('uses the OCR module for images', async () => {
    const result = await sandbox.run(png('the walrus ledger'));
    expect(result).toMatchObject({ format: 'image', text: 'recognised: the walrus ledger', ocr: true, ocrPages: 1, pages: 1 });
  });

  it('a job that loops forever ends timeout, and the next job gets a fresh worker', async () => {
    const f = await failure(sandbox.run(png('loop'), { limits: { timeoutMs: 1500 } }));
    expect(f.reason).toBe('timeout');
    expect(f.transient).toBe(false);
    const next = await sandbox.run({ bytes: Buffer.from('after the loop, the harbour bell'), contentType: 'text/plain', name: 'a.txt' });
    expect(next.text).toBe('after the loop, the harbour bell');
  });

  it('a job that allocates without bound ends memory', async () => {
    const f = await failure(sandbox.run(png('allocate')));
    expect(f.reason).toBe('memory');
    expect((await sandbox.run(png('alive again'))).text).toBe('recognised: alive again');
  });

  it('a throw from a callback or an exit ends crashed (transient), and the sandbox goes on', async () => {
    const thrown = await failure(sandbox.run(png('throw-from-callback')));
    expect(thrown).toMatchObject({ reason: 'crashed', transient: true });
    expect(thrown.message).toMatch(/thrown from a timer callback/);
    const exited = await failure(sandbox.run(png('exit')));
    expect(exited.reason).toBe('crashed');
    expect((await sandbox.run(png('still here'))).text).toBe('recognised: still here');
  });

  it('queues jobs and runs them one at a time, in order, a failure among them', async () => {
    const names = ['one', 'loop', 'three'];
    const settled = await Promise.allSettled(names.map((n) => sandbox.run(png(n), { limits: { timeoutMs: n === 'loop' ? 1000 : 20_000 } })));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value.text : (s.reason as ExtractionFailure).reason))).toEqual([
      'recognised: one', 'timeout', 'recognised: three',
    ]);
  });

  it('refuses what is too large before copying it into the worker, and passes typed failures through', async () => {
    const big = await failure(sandbox.run({ bytes: new Uint8Array(4096), contentType: 'text/plain', name: 'a.txt' }, { limits: { maxBytes: 1024 } }));
    expect(big.reason).toBe('too-large');
    const unsupported = await failure(sandbox.run({ bytes: new Uint8Array([1, 2, 3]), contentType: 'application/x-thing', name: 'a.bin' }));
    expect(unsupported).toMatchObject({ reason: 'unsupported', transient: false });
  });
});

describe('extraction sandbox from TypeScript sources under tsx', { timeout: WORKER_TEST_TIMEOUT_MS }, () => {
  it('starts its worker and extracts, as `node --conditions=development --import tsx` runs the service', async () => {
    const script = fileURLToPath(new URL('./fixtures/run-under-tsx.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=development', '--import', 'tsx', script], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ pdf: 'read under tsx, the osprey nest', image: 'recognised: a heron at dawn' });
  }, 60_000);
});

describe('extraction sandbox closing', { timeout: WORKER_TEST_TIMEOUT_MS }, () => {
  it('lets the running job finish, refuses the queued ones', async () => {
    const sandbox = createExtractionSandbox({ ocrModule });
    const running = sandbox.run(png('finishing'));
    const queued = failure(sandbox.run(png('never run')));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = sandbox.close();
    expect((await running).text).toBe('recognised: finishing');
    expect((await queued).reason).toBe('crashed');
    await closed;
  });
});

describe('extraction sandbox with an OCR module that does not load', { timeout: WORKER_TEST_TIMEOUT_MS }, () => {
  it('fails OCR work crashed (transient: the engine, not the document) and does the rest', async () => {
    const sandbox = createExtractionSandbox({ ocrModule: fileURLToPath(new URL('./fixtures/missing-ocr.ts', import.meta.url)) });
    try {
      const f = await failure(sandbox.run(png('x')));
      expect(f).toMatchObject({ reason: 'crashed', transient: true });
      expect(f.message).toMatch(/OCR engine did not start/);
      const text = await sandbox.run({ bytes: Buffer.from('text needs no OCR'), contentType: 'text/plain', name: 'a.txt' });
      expect(text.text).toBe('text needs no OCR');
    } finally {
      await sandbox.close();
    }
  });
});

describe('extraction sandbox without OCR', { timeout: WORKER_TEST_TIMEOUT_MS }, () => {
  it('extracts an image to empty text, and refuses work once closed', async () => {
    const sandbox = createExtractionSandbox();
    const result = await sandbox.run(png('nobody reads this'));
    expect(result).toMatchObject({ format: 'image', text: '', ocr: false, ocrPages: 0 });
    await sandbox.close();
    expect((await failure(sandbox.run(png('late')))).reason).toBe('crashed');
  });
});
