/**
 * The extractive summary: two to four sentences of the document, in their order, chosen by how much
 * of the document's vocabulary they carry (term frequency, stop words out, lightly stemmed) with a
 * small bonus for coming early, as openings tend to say what a document is. Works in any language
 * that separates words with spaces; the sentences are quoted, never rewritten.
 */
import { cutAtWord, splitSentences, stem, words } from './text.js';

/** The summary never exceeds this many characters. */
export const MAX_SUMMARY = 600;
// Scoring every sentence of a long document buys nothing: the best ones are found early.
const MAX_SENTENCES_SCORED = 3000;
const MAX_SENTENCE = 400;

/** Chooses up to four sentences of `text` (at most 600 characters) that best represent it. */
export function summarise(text: string, stopWords: Set<string>): string {
  const sentences = splitSentences(text).slice(0, MAX_SENTENCES_SCORED);
  if (sentences.length === 0) return '';
  const single = sentences[0]!.text.replace(/\s+/g, ' ');
  if (sentences.length === 1) return cutAtWord(single, MAX_SUMMARY);

  const termsOf = sentences.map((sentence) => words(sentence.text).filter((w) => !stopWords.has(w) && /\p{L}/u.test(w)).map(stem));
  const frequency = new Map<string, number>();
  for (const terms of termsOf) for (const term of new Set(terms)) frequency.set(term, (frequency.get(term) ?? 0) + 1);

  const scored = sentences.map((sentence, index) => {
    const terms = new Set(termsOf[index]);
    const text = sentence.text.replace(/\s+/g, ' ');
    let weight = 0;
    for (const term of terms) weight += Math.log(1 + (frequency.get(term) ?? 0));
    // dividing by the square root keeps long sentences from winning by length alone
    const score = terms.size === 0 ? 0 : weight / Math.sqrt(terms.size) + 1 / (1 + index / 3);
    // headings (all capitals, or a few words) are not summary sentences
    const heading = /\p{Lu}/u.test(text) && !/\p{Ll}/u.test(text);
    const fits = text.length <= MAX_SENTENCE && terms.size >= 3 && !heading && (words(text).length >= 4 || !/\s/.test(text));
    return { index, text, score, fits };
  });

  const candidates = scored.filter((s) => s.fits);
  if (candidates.length === 0) {
    // headings or fragments only: the opening, within bounds
    return cutAtWord(single, MAX_SUMMARY);
  }
  const picked: typeof candidates = [];
  let length = 0;
  for (const sentence of [...candidates].sort((a, b) => b.score - a.score || a.index - b.index)) {
    if (picked.length === 4) break;
    if (length + sentence.text.length + 1 > MAX_SUMMARY) continue;
    if (picked.some((p) => p.text === sentence.text)) continue;
    picked.push(sentence);
    length += sentence.text.length + 1;
  }
  return picked
    .sort((a, b) => a.index - b.index)
    .map((s) => s.text)
    .join(' ');
}
