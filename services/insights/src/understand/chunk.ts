import { cleanInPlace, splitSentences, type Sentence } from './text.js';

/** A passage for retrieval, cut from one page. */
export interface Chunk {
  /** position among all chunks of the document, from 0 */
  index: number;
  page: number | null;
  text: string;
  /** offset of `text` in its passage's text: passage.slice(start, start + text.length) is the chunk */
  start: number;
}

export const CHUNK_TARGET = 800;
export const CHUNK_MAX = 1000;
// A document yields at most this many chunks; a larger one is indexed by its beginning.
export const MAX_CHUNKS = 20_000;

/**
 * Passages for retrieval: ~600–1000 characters, cut at sentence boundaries, never across pages.
 * Sentences are gathered until the chunk reaches `target` (or the next would pass `max`); a
 * sentence longer than `max` is cut at spaces. Text is cleaned in place (same length: control and
 * bidi characters become spaces, lone surrogates U+FFFD), so `start` still points into the input.
 */
export function chunk(passages: { page: number | null; text: string }[], opts: { target?: number; max?: number } = {}): Chunk[] {
  const max = Math.max(50, opts.max ?? CHUNK_MAX);
  const target = Math.min(max, Math.max(1, opts.target ?? CHUNK_TARGET));
  const chunks: Chunk[] = [];
  for (const passage of passages) {
    const text = cleanInPlace(passage.text);
    const firstOfPassage = chunks.length;
    const pieces = splitSentences(text).flatMap((sentence) => cutLong(sentence, max));
    let open: { start: number; end: number } | null = null;
    const close = (): void => {
      if (open && chunks.length < MAX_CHUNKS) {
        chunks.push({ index: chunks.length, page: passage.page, text: text.slice(open.start, open.end), start: open.start });
      }
      open = null;
    };
    for (const piece of pieces) {
      const end = piece.start + piece.text.length;
      if (open && end - open.start > max) close();
      if (open) open.end = end;
      else open = { start: piece.start, end };
      if (open.end - open.start >= target) close();
    }
    // a short tail joins the chunk before it (of this passage) when both fit in one
    const tail = open as { start: number; end: number } | null;
    const previous = chunks.length > firstOfPassage ? chunks.at(-1) : undefined;
    if (tail && previous && tail.end - tail.start < target / 4 && tail.end - previous.start <= max) {
      chunks[chunks.length - 1] = { ...previous, text: text.slice(previous.start, tail.end) };
      open = null;
    }
    close();
    if (chunks.length >= MAX_CHUNKS) break;
  }
  return chunks;
}

/** A sentence longer than `max`, cut at the last space before each limit (or hard when none). */
function cutLong(sentence: Sentence, max: number): Sentence[] {
  if (sentence.text.length <= max) return [sentence];
  const pieces: Sentence[] = [];
  let from = 0;
  const text = sentence.text;
  while (from < text.length) {
    let to = Math.min(text.length, from + max);
    if (to < text.length) {
      const space = text.lastIndexOf(' ', to);
      if (space > from + max / 2) to = space;
      else if (/[\uDC00-\uDFFF]/.test(text[to] ?? '')) to -= 1; // never split a surrogate pair
    }
    const raw = text.slice(from, to);
    const piece = raw.trim();
    if (piece) pieces.push({ text: piece, start: sentence.start + from + raw.length - raw.trimStart().length });
    from = to;
  }
  return pieces;
}
