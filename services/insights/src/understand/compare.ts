/**
 * "What changed between v2 and v5": the sentences of the newer text that the older lacks and the
 * other way round, from a longest common subsequence over normalised sentences (case and spacing
 * ignored), found by Myers' diff. Bounded: the first 5,000 sentences of each version, and when more
 * than 2,000 sentences differ a set difference stands in, which the summary says.
 */
import { capText, cutAtWord, sanitise, splitSentences } from './text.js';

export interface VersionComparison {
  added: string[];
  removed: string[];
  summary: string;
  /** the full counts; `added` and `removed` hold at most maxItems each */
  addedCount: number;
  removedCount: number;
}

export const MAX_COMPARED_SENTENCES = 5000;
const MAX_COMPARED_CHARS = 2_000_000;
// Beyond this many differing sentences the ordered diff would cost too much; a set difference stands in.
const MAX_EDITS = 2000;
const MAX_ITEM = 300;

const normal = (sentence: string): string => sentence.toLowerCase().replace(/\s+/g, ' ').trim();

function sentencesOf(text: string): { sentences: string[]; capped: boolean } {
  const capped = capText(text, MAX_COMPARED_CHARS);
  const all = splitSentences(sanitise(capped.text)).map((s) => s.text.replace(/\s+/g, ' '));
  return { sentences: all.slice(0, MAX_COMPARED_SENTENCES), capped: capped.truncated || all.length > MAX_COMPARED_SENTENCES };
}

/** Sentences added and removed between two versions of a text, in order and bounded, with a short summary. */
export function compareVersions(older: string, newer: string, opts: { maxItems?: number } = {}): VersionComparison {
  const maxItems = Math.max(0, opts.maxItems ?? 20);
  const before = sentencesOf(older);
  const after = sentencesOf(newer);
  const a = before.sentences.map(normal);
  const b = after.sentences.map(normal);

  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  const oldMiddle = a.slice(head, a.length - tail);
  const newMiddle = b.slice(head, b.length - tail);

  let removedAt: number[];
  let addedAt: number[];
  let approximate = false;
  const exact = myersDiff(oldMiddle, newMiddle, MAX_EDITS);
  if (exact) {
    [removedAt, addedAt] = exact;
  } else {
    approximate = true;
    const inOld = new Set(oldMiddle);
    const inNew = new Set(newMiddle);
    removedAt = oldMiddle.flatMap((s, i) => (inNew.has(s) ? [] : [i]));
    addedAt = newMiddle.flatMap((s, i) => (inOld.has(s) ? [] : [i]));
  }
  const removed = removedAt.map((i) => before.sentences[head + i]!);
  const added = addedAt.map((i) => after.sentences[head + i]!);

  const parts = [
    added.length === 0 && removed.length === 0
      ? 'No sentence changed.'
      : `${added.length} ${added.length === 1 ? 'sentence' : 'sentences'} added, ${removed.length} removed.`,
  ];
  if (added.length > maxItems || removed.length > maxItems) parts.push(`Showing the first ${maxItems} of each.`);
  if (before.capped || after.capped) parts.push(`Only the first ${MAX_COMPARED_SENTENCES.toLocaleString('en')} sentences of each version were compared.`);
  if (approximate) parts.push('The versions differ too much for an ordered comparison; moved sentences are not shown.');
  return {
    added: added.slice(0, maxItems).map((s) => cutAtWord(s, MAX_ITEM)),
    removed: removed.slice(0, maxItems).map((s) => cutAtWord(s, MAX_ITEM)),
    summary: parts.join(' '),
    addedCount: added.length,
    removedCount: removed.length,
  };
}

/**
 * Indices of `a` not in a longest common subsequence (removed) and of `b` not in it (added), each
 * in order, by Myers' O((n + m) · d) algorithm; null when more than `maxEdits` sentences differ.
 * The state of every round is kept for the walk back, about d² numbers in all.
 */
function myersDiff(a: string[], b: string[], maxEdits: number): [number[], number[]] | null {
  const n = a.length;
  const m = b.length;
  const limit = Math.min(n + m, maxEdits);
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= limit && found < 0; d += 1) {
    // the furthest x on diagonals -d..d before this round, for the walk back
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return null;
  const removed: number[] = [];
  const added: number[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d -= 1) {
    const before = trace[d]!;
    const at = (k: number): number => before[k + d]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x -= 1;
      y -= 1;
    }
    if (x === previousX) added.push(previousY);
    else removed.push(previousX);
    x = previousX;
    y = previousY;
  }
  return [removed.reverse(), added.reverse()];
}
