/**
 * "What changed between v2 and v5": the sentences of the newer text that the older lacks and the
 * other way round, from a longest common subsequence over normalised sentences (case and spacing
 * ignored). Bounded: the first 5,000 sentences of each version, and when the part that differs is
 * still too large for the table (over 4 million cells) a set difference stands in, said so.
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
const MAX_CELLS = 4_000_000;
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
  if ((oldMiddle.length + 1) * (newMiddle.length + 1) <= MAX_CELLS) {
    [removedAt, addedAt] = lcsDiff(oldMiddle, newMiddle);
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

/** Indices of `a` not in the LCS (removed) and of `b` not in it (added), each in order. */
function lcsDiff(a: string[], b: string[]): [number[], number[]] {
  const n = a.length;
  const m = b.length;
  const width = m + 1;
  // lengths of the LCS of a[i..] and b[j..]; 5,000 sentences fit in 16 bits
  const table = new Uint16Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      table[i * width + j] = a[i] === b[j] ? table[(i + 1) * width + j + 1]! + 1 : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  const removed: number[] = [];
  const added: number[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      i += 1;
      j += 1;
    } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) removed.push(i++);
    else added.push(j++);
  }
  while (i < n) removed.push(i++);
  while (j < m) added.push(j++);
  return [removed, added];
}
