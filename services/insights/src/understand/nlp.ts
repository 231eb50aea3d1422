import winkNLP, { type WinkMethods } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

let instance: WinkMethods | undefined;

/** One wink-nlp instance with the English lite model, loaded on first use (it takes ~100 ms). */
export function english(): WinkMethods {
  instance ??= winkNLP(model);
  return instance;
}

/** A token as the entity and keyword scanners see it, whichever tokeniser produced it. */
export interface Token {
  value: string;
  /** lower-cased form */
  normal: string;
  /** universal part of speech, or null when no model tagged the text */
  pos: string | null;
  /** lemma (lower case) when the model gives one, else the normal form */
  lemma: string;
  /** 'word', 'number', 'punctuation', 'email', 'url', … (wink's token types; 'word' by default) */
  type: string;
  stopWord: boolean;
  sentenceStart: boolean;
  /** the whitespace before this token, to rebuild the surface text of a span */
  space: string;
}

export interface WinkEntity {
  /** first and last token index, inclusive */
  span: [number, number];
  type: string;
}

/** Tokens, part of speech, lemmas and wink's own entities for English text. */
export function analyseEnglish(text: string): { tokens: Token[]; entities: WinkEntity[] } {
  const nlp = english();
  const its = nlp.its;
  // wink's tokeniser is quadratic in the length of one token (a 200,000-letter "word" takes 20 s):
  // no real word or link is 1,000 characters long, so longer runs are broken for it
  const doc = nlp.readDoc(text.replace(/\S{1000}/g, '$& '));
  const all = doc.tokens();
  const values = all.out(its.value) as string[];
  const pos = all.out(its.pos) as string[];
  // wink's typings describe its.lemma with an extra argument that .out() supplies itself
  const lemmas = all.out(its.lemma as unknown as typeof its.normal) as string[];
  const types = all.out(its.type) as string[];
  const stops = all.out(its.stopWordFlag) as unknown as boolean[];
  const spaces = all.out(its.precedingSpaces) as string[];
  const starts = new Set((doc.sentences().out(its.span) as unknown as [number, number][]).map(([first]) => first));
  const tokens = values.map((value, i) => ({
    value,
    // wink's own normal form respells British English ("centre" → "center"); keywords keep the
    // document's spelling
    normal: value.toLowerCase(),
    pos: pos[i] ?? null,
    lemma: (lemmas[i] ?? value).toLowerCase(),
    type: types[i] ?? 'word',
    stopWord: stops[i] === true,
    sentenceStart: starts.has(i),
    space: spaces[i] ?? ' ',
  }));
  const spans = doc.entities().out(its.span) as unknown as [number, number][];
  const details = doc.entities().out(its.detail) as unknown as { type: string }[];
  const entities = spans.map((span, i) => ({ span, type: details[i]?.type ?? '' }));
  return { tokens, entities };
}

const ABBREVIATED = /^(?:\p{Lu}|mr|mrs|ms|dr|prof|st|inc|ltd|co|corp|herr|frau|mme)$/iu;

/** Tokens for text in other languages: words and single punctuation marks, no part of speech. */
export function tokenisePlain(text: string, stopWords: Set<string>): Token[] {
  const tokens: Token[] = [];
  let previousEnd = 0;
  let sentenceStart = true;
  for (const match of text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}\p{M}'’&-]*|[^\s\p{L}\p{N}]/gu)) {
    const value = match[0];
    const previous = tokens.at(-1);
    if (value === '.' && previous && match.index === previousEnd && ABBREVIATED.test(previous.value)) {
      // "Dr." and "Ltd." keep their full stop, which then ends no sentence
      previous.value += '.';
      previous.normal += '.';
      previousEnd += 1;
      continue;
    }
    const normal = value.toLowerCase();
    const word = /[\p{L}\p{N}]/u.test(value);
    tokens.push({
      value,
      normal,
      pos: null,
      lemma: normal,
      type: word ? (/^\p{N}+$/u.test(value) ? 'number' : 'word') : 'punctuation',
      stopWord: stopWords.has(normal),
      sentenceStart,
      space: text.slice(previousEnd, match.index),
    });
    previousEnd = match.index + value.length;
    sentenceStart = /^[.!?。！？]$/.test(value) || (sentenceStart && !word);
  }
  return tokens;
}

/** The surface text of tokens first..last, with the spaces between them as written. */
export function surface(tokens: Token[], first: number, last: number): string {
  let text = tokens[first]?.value ?? '';
  for (let i = first + 1; i <= last; i += 1) text += (tokens[i]?.space ?? ' ') + (tokens[i]?.value ?? '');
  return text;
}
