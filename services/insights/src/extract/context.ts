import { ExtractionFailure, type ExtractLimits, type OcrEngine, type Passage } from './types.js';

/** Counts the characters kept so far, so that a reader can stop once there is no room left. */
export class TextBudget {
  private left: number;
  truncated = false;

  constructor(maxChars: number) {
    this.left = maxChars;
  }

  /** Characters that may still be kept. */
  get remaining(): number {
    return Math.max(0, this.left);
  }

  get full(): boolean {
    return this.left <= 0;
  }

  /** The part of `text` that still fits; marks the extraction truncated when some is cut. */
  take(text: string): string {
    if (text.length <= this.left) {
      this.left -= text.length;
      return text;
    }
    this.truncated = true;
    let end = this.left;
    // never leave half of a surrogate pair at the cut
    const last = text.charCodeAt(end - 1);
    if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
    this.left = 0;
    return text.slice(0, end);
  }
}

/** What every format reader gets: the limits, the text budget, the deadline and the OCR offered. */
export interface ReadContext {
  limits: ExtractLimits;
  budget: TextBudget;
  ocr: OcrEngine | undefined;
  /** Throws 'timeout' once the document's wall-clock budget is spent; readers call it between pages. */
  checkTime(): void;
  /** Milliseconds since the document's clock started. */
  elapsedMs(): number;
}

/** A reading context for one document, its clock started now (or at `startedAt`). */
export function createContext(limits: ExtractLimits, ocr: OcrEngine | undefined, startedAt = Date.now()): ReadContext {
  const deadline = startedAt + limits.timeoutMs;
  return {
    limits,
    budget: new TextBudget(limits.maxChars),
    ocr,
    elapsedMs: () => Date.now() - startedAt,
    checkTime() {
      if (Date.now() > deadline) {
        throw new ExtractionFailure('timeout', `extraction took longer than ${limits.timeoutMs} ms`);
      }
    },
  };
}

/** What a format reader hands back; the text of each passage is already cleaned and counted. */
export interface ReadResult {
  passages: Passage[];
  pages: number;
  /** Pages (or images) that went through OCR and came back. */
  ocrPages: number;
  /** Some of the text kept came from OCR. */
  ocr: boolean;
}

// C0 controls other than tab and newline, DEL and NUL: Postgres refuses NUL in text, the rest is noise
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text fit to store and index: newlines unified, controls and broken surrogates gone, blank runs squeezed. */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROLS, '')
    .replace(LONE_SURROGATES, '\uFFFD')
    .replace(/[ \t\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Cleans a passage's text and counts it against the budget; an empty passage is left out. */
export function addPassage(passages: Passage[], ctx: ReadContext, page: number | null, raw: string): void {
  const cleaned = cleanText(raw);
  if (cleaned === '') return;
  // the blank line that will join it to the one before counts against maxChars too
  const separator = passages.length > 0 ? '\n\n' : '';
  if (ctx.budget.full || ctx.budget.take(separator).length < separator.length || ctx.budget.full) {
    ctx.budget.truncated = true;
    return;
  }
  passages.push({ page, text: ctx.budget.take(cleaned) });
}
