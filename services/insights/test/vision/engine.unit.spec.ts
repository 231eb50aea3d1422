import { describe, expect, it } from 'vitest';
import { createOcrEngine, VisionError } from '../../src/vision/index.js';
import { renderTextPng } from '../support/corpus.js';

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

describe('the OCR engine lifecycle', () => {
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
    const engine = await createOcrEngine({ timeoutMs: 2_000 });
    try {
      const err = await failure(engine.image(densePage(), 'image/png'));
      expect(err).toBeInstanceOf(VisionError);
      expect(err).toMatchObject({ code: 'timeout', message: expect.stringMatching(/took over 2000 ms/) });
      // The busy worker was ended, not left to finish in the background.
      expect(messagePorts()).toBe(before);
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
