import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it, vi } from 'vitest';
import { createOcrEngine, VisionError } from '../../src/vision/index.js';
import { imageOnlyPdf, renderTextPng } from '../support/corpus.js';
import { WORKER_TEST_TIMEOUT_MS } from '../support/timeouts.js';

// OCR and drawing share two cores with other work here: generous limits, never timed assertions.
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

// A full page of small text: tesseract needs many seconds for it on this machine kind,
// while one short line takes a fraction of a second.
const LOREM = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt';
const densePage = (): Buffer =>
  renderTextPng(
    Array.from({ length: 160 }, (_, i) => `${i} ${LOREM}`),
    { fontSize: 18, lineHeight: 1.2 },
  );
const oneLine = (): Buffer => renderTextPng(['Lighthouse keepers count gulls']);

// A worker thread shows up as a MessagePort among the process's active resources.
const messagePorts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('the OCR engine lifecycle', { timeout: WORKER_TEST_TIMEOUT_MS }, () => {
  it('close() ends the tesseract worker thread, and later calls fail as closed', async () => {
    const before = messagePorts();
    const engine = await createOcrEngine();
    expect(messagePorts()).toBe(before + 1);
    expect(await engine.image(oneLine(), 'image/png')).toMatch(/Lighthouse/);

    await engine.close();
    expect(messagePorts()).toBe(before);
    const err = await failure(engine.image(oneLine(), 'image/png'));
    expect(err).toBeInstanceOf(VisionError);
    expect(err).toMatchObject({ code: 'closed', message: expect.stringMatching(/closed/) });
    await engine.close();
  });

  it('abandons a job over its time budget, ends that worker, and reads the next job with a new one', async () => {
    const before = messagePorts();
    const ended: string[] = [];
    const engine = await createOcrEngine({ timeoutMs: 2_000, onWorkerEnd: (why) => ended.push(why) });
    try {
      const err = await failure(engine.image(densePage(), 'image/png'));
      expect(err).toBeInstanceOf(VisionError);
      expect(err).toMatchObject({ code: 'timeout', message: expect.stringMatching(/took over 2000 ms/) });
      // The busy worker was ended, not left to finish in the background.
      expect(messagePorts()).toBe(before);
      expect(ended).toEqual(['timeout']);
      expect(await engine.image(oneLine(), 'image/png')).toMatch(/Lighthouse keepers/);
    } finally {
      await engine.close();
    }
    expect(messagePorts()).toBe(before);
  });

  it('runs calls one after the other and fails those in flight or queued when closed', async () => {
    const engine = await createOcrEngine();
    const first = engine.image(oneLine(), 'image/png');
    const busy = failure(engine.image(densePage(), 'image/png'));
    const queued = failure(engine.image(oneLine(), 'image/png'));
    expect(await first).toMatch(/Lighthouse/);
    await engine.close();
    expect(await busy).toMatchObject({ code: 'closed' });
    expect(await queued).toMatchObject({ code: 'closed' });
  });
});

describe('the OCR engine worker', { timeout: WORKER_TEST_TIMEOUT_MS }, () => {
  it('replaces its worker after a picture over recycleAbovePixels, and reads on with the new one', async () => {
    const ended: string[] = [];
    const engine = await createOcrEngine({ recycleAbovePixels: 300_000, onWorkerEnd: (why) => ended.push(why) });
    try {
      // One line is small: the worker stays.
      expect(await engine.image(oneLine(), 'image/png')).toMatch(/Lighthouse/);
      expect(ended).toEqual([]);
      // Six lines, enlarged twice for OCR: twice over 300,000 pixels (one line is about 200,000).
      const big = renderTextPng(Array.from({ length: 6 }, () => 'Lighthouse keepers count gulls'));
      expect(await engine.image(big, 'image/png')).toMatch(/Lighthouse/);
      expect(ended).toEqual(['recycled']);
      expect(await engine.image(oneLine(), 'image/png')).toMatch(/Lighthouse keepers/);
    } finally {
      await engine.close();
    }
    expect(ended).toEqual(['recycled', 'closed']);
  });

  it('reads a scanned page drawn at a lower resolution when asked', async () => {
    const lines = ['Lighthouse keepers count gulls', 'at dawn on the northern pier'];
    const doc = await getDocument({ data: await imageOnlyPdf([renderTextPng(lines, { fontSize: 36 })]), verbosity: 0 })
      .promise;
    const engine = await createOcrEngine({ pdfDpi: 150 });
    try {
      expect(await engine.pdfPage(await doc.getPage(1))).toMatch(/Lighthouse keepers count gulls\s+at dawn on the northern pier/);
    } finally {
      await engine.close();
      await doc.destroy();
    }
  });
});
