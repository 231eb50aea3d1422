/**
 * Text plumbing shared by every part of understanding: cleaning hostile input, cutting sentences
 * with their offsets, words and a light stemmer. Nothing here depends on the NLP model, so the
 * non-English fallback, chunking, answers and version comparison all see the same sentences.
 */

/** How much of a document is analysed (NLP, keywords, summary, tags); the rest is ignored. */
export const ANALYSED_CHARS = 200_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Zero-width characters, soft hyphens and bidi controls carry no meaning for analysis and can hide
// text or reorder it on screen ("Trojan source"), so they go.
const INVISIBLE = /[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
// A base letter with more than three combining marks is noise ("Zalgo"): keep the first three.
const COMBINING_STORM = /(\p{M}{3})\p{M}+/gu;
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROLS = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F]/g;

/**
 * Cleans text for analysis: well-formed UTF-16, no invisible or control characters, no combining
 * storms, NFKC (ligatures from PDFs become letters), \r\n and form feeds as line breaks.
 * The result is shorter or equal; offsets into the original are not kept (see cleanInPlace).
 */
export function sanitise(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/\r\n?/g, '\n')
    .replace(/\f/g, '\n\n')
    .replace(INVISIBLE, '')
    .replace(CONTROLS, ' ')
    .replace(COMBINING_STORM, '$1')
    .normalize('NFKC');
}

/**
 * Cleans text without changing its length, so offsets still point into the original: lone
 * surrogates become U+FFFD, control and bidi characters a space (Postgres refuses NUL in text).
 */
export function cleanInPlace(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(CONTROLS, ' ')
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, ' ');
}

/** Cuts at most `max` UTF-16 units without splitting a surrogate pair. */
export function capText(text: string, max = ANALYSED_CHARS): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return { text: text.slice(0, end), truncated: true };
}

export interface Sentence {
  text: string;
  /** offset of the first character in the text that was split */
  start: number;
}

// Words after which a full stop rarely ends a sentence.
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'vs', 'no', 'nr', 'fig', 'figs',
  'approx', 'dept', 'est', 'ref', 'vol', 'pp', 'cf', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug',
  'sep', 'sept', 'oct', 'nov', 'dec', 'rev', 'gen', 'col', 'capt', 'lt', 'sgt', 'hon', 'ca', 'al',
]);
// The lookbehind starts a match only at the first mark of a run, so "....x" is not rescanned.
const TERMINAL = /(?<![.!?…])[.!?…]+["'”’)\]]*(?=\s|$)|[。！？]+/g;
const BULLET = /^\s*(?:[-*•▪◦‣–]|\d{1,3}[.)]|[a-z][.)])\s/;

/**
 * Splits text into sentences with their offsets. A sentence ends at terminal punctuation followed
 * by a space and not lower case (abbreviations and initials excepted), at a blank line, before a
 * bullet, and after a short line without punctuation (a heading). Lines wrapped mid-sentence, as
 * PDFs produce them, stay together. Text without any of these is one sentence: callers bound it.
 */
export function splitSentences(text: string): Sentence[] {
  const cuts: number[] = [];
  for (const match of text.matchAll(TERMINAL)) {
    const end = match.index + match[0].length;
    if (match[0].startsWith('.') && match[0].length === 1 && !endsSentence(text, match.index, end)) continue;
    cuts.push(end);
  }
  for (const match of text.matchAll(/\n/g)) {
    if (newlineEndsSentence(text, match.index)) cuts.push(match.index);
  }
  cuts.sort((a, b) => a - b);
  const sentences: Sentence[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    if (cut <= from) continue;
    pushTrimmed(text, from, cut, sentences);
    from = cut;
  }
  return sentences;
}

function endsSentence(text: string, dot: number, after: number): boolean {
  const next = /\S/u.exec(text.slice(after, after + 8));
  if (next && /\p{Ll}/u.test(next[0])) return false;
  const wordMatch = /([\p{L}.]+)$/u.exec(text.slice(Math.max(0, dot - 20), dot));
  const word = wordMatch?.[1] ?? '';
  if (word.length === 1 && /\p{Lu}/u.test(word)) return false; // an initial: "J. Smith"
  if (ABBREVIATIONS.has(word.toLowerCase())) return false;
  if (word.includes('.')) return false; // "e.g." or "U.S." mid-sentence
  return true;
}

function newlineEndsSentence(text: string, at: number): boolean {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const previous = text.slice(lineStart, at).trim();
  const nextEnd = text.indexOf('\n', at + 1);
  const next = text.slice(at + 1, nextEnd === -1 ? text.length : nextEnd);
  if (next.trim() === '' || previous === '') return true; // a blank line
  if (BULLET.test(next)) return true;
  if (previous.length < 60 && !/[,;\-–]$/.test(previous) && /^\s*[\p{Lu}\p{N}]/u.test(next)) return true;
  return false;
}

function pushTrimmed(text: string, from: number, to: number, into: Sentence[]): void {
  let start = from;
  let end = to;
  while (start < end && /\s/.test(text[start] ?? '')) start += 1;
  while (end > start && /\s/.test(text[end - 1] ?? '')) end -= 1;
  if (end > start) into.push({ text: text.slice(start, end), start });
}

/** Words: runs of letters and digits (with inner apostrophes and hyphens), lower-cased. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? [];
}

/**
 * A light English stemmer for matching only (plural, -ing, -ed, final e), applied alike to
 * questions and passages; words of other languages pass mostly unchanged. A real lemmatiser needs
 * the part of speech, which a three-word question does not give reliably.
 */
export function stem(word: string): string {
  let w = word.replace(/['’]s$/, '');
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/[^su]s$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

/** Cuts text at the last word boundary before `max` characters, marking the cut with "…". */
export function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = capText(text, max - 1).text;
  const space = head.search(/\s\S*$/);
  return `${(space > max / 2 ? head.slice(0, space) : head).trimEnd()}…`;
}
