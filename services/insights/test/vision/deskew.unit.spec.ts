import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { estimateSkew, measureSkew } from '../../src/vision/deskew.js';
import { renderTextPng } from '../support/corpus.js';

const page = renderTextPng(
  [
    'Minutes of the harbour committee, third session',
    'Present: the harbour master, two pilots and the clerk.',
    'The new crane on the east quay is to be tested on Monday.',
    'Dredging of the channel will resume once the tide tables',
    'for the coming quarter have been published and checked.',
  ],
  { fontSize: 24 },
);

/** The page turned clockwise by `degrees`, as grey pixels. */
async function turned(degrees: number) {
  const { data, info } = await sharp(page)
    .greyscale()
    .rotate(degrees, { background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('estimateSkew', () => {
  it.each([0, 2.5, -3, 7, -9.5, 12])('finds a page turned by %s°', async (degrees) => {
    const { data, width, height } = await turned(degrees);
    expect(Math.abs(estimateSkew(data, width, height) - degrees)).toBeLessThanOrEqual(0.3);
  });

  it('measures a sharp pipeline without consuming it', async () => {
    const pipeline = sharp(page).greyscale().rotate(-6, { background: '#ffffff' });
    expect(await measureSkew(pipeline)).toBeCloseTo(-6, 0);
    // The pipeline still gives the full picture.
    expect((await pipeline.raw().toBuffer({ resolveWithObject: true })).info.width).toBeGreaterThan(600);
  });

  it('gives 0 for a blank page and for a page of solid ink', () => {
    expect(estimateSkew(new Uint8Array(400 * 300).fill(255), 400, 300)).toBe(0);
    expect(estimateSkew(new Uint8Array(400 * 300).fill(0), 400, 300)).toBe(0);
    expect(estimateSkew(new Uint8Array(0), 0, 0)).toBe(0);
  });
});
