import type { Sharp } from './libvips.js';

/** Skew is looked for within ±15°; past that a picture is turned, not skewed. */
const MAX_DEGREES = 15;
/** Below this tesseract reads as well as on a straight picture; turning would only blur it. */
export const MIN_DESKEW_DEGREES = 0.5;
/** The width the skew is measured at: lines of text are still lines, the work is small. */
const SAMPLE_WIDTH = 600;
const INK = 128;

/**
 * The angle, in degrees, the text lines of a greyscale picture (one byte per pixel) are
 * turned by, clockwise positive; 0 when there is too little ink to tell. Each candidate
 * angle projects the dark pixels onto the axis across the lines: at the right angle the
 * lines fall into few rows and the gaps into empty ones, so the sum of the squared row
 * counts peaks. One-degree steps first, then tenths around the best.
 */
export function estimateSkew(grey: Uint8Array, width: number, height: number): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((grey[y * width + x] ?? 255) < INK) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  // A blank page, or a picture that is all ink (a photo, not text), has no lines to measure.
  if (xs.length < 50 || xs.length > 0.5 * width * height) return 0;

  const diagonal = Math.ceil(Math.hypot(width, height));
  const rows = new Float64Array(2 * diagonal + 1);
  const score = (degrees: number): number => {
    const radians = (degrees * Math.PI) / 180;
    const sin = Math.sin(radians);
    const cos = Math.cos(radians);
    rows.fill(0);
    for (let i = 0; i < xs.length; i++) {
      // The row a pixel lands in once the picture is turned back by `degrees`.
      const row = Math.round((ys[i] ?? 0) * cos - (xs[i] ?? 0) * sin) + diagonal;
      rows[row] = (rows[row] ?? 0) + 1;
    }
    let sum = 0;
    for (const count of rows) sum += count * count;
    return sum;
  };
  const best = (from: number, to: number, step: number): number => {
    let angle = 0;
    let top = -1;
    for (let degrees = from; degrees <= to + step / 2; degrees += step) {
      const s = score(degrees);
      // Ties go to the smaller turn: a straight page stays straight.
      if (s > top || (s === top && Math.abs(degrees) < Math.abs(angle))) {
        top = s;
        angle = degrees;
      }
    }
    return angle;
  };
  const coarse = best(-MAX_DEGREES, MAX_DEGREES, 1);
  const fine = best(coarse - 1, coarse + 1, 0.1);
  return Math.round(fine * 10) / 10;
}

/**
 * Measures the skew of a greyscale pipeline on a small copy of it (the pipeline itself is
 * not consumed).
 */
export async function measureSkew(grey: Sharp): Promise<number> {
  const { data, info } = await grey
    .clone()
    .resize({ width: SAMPLE_WIDTH, withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return estimateSkew(data, info.width, info.height);
}
