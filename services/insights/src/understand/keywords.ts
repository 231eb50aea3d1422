/**
 * Keywords: the terms and short noun phrases a document is about. In English they come from wink's
 * parts of speech and lemmas (nouns, proper nouns and adjective-noun phrases, stop words out); in
 * other languages from plain word frequency without stop words, as no tagger is available.
 */
import { ORGANISATION_SUFFIXES, PERSON_TITLES } from './gazetteer.js';
import type { Token } from './nlp.js';
import { NOT_TOPICS } from './stopwords.js';

/** How many keywords a document gets at most. */
export const MAX_KEYWORDS = 10;

export interface Keyword {
  term: string;
  count: number;
  score: number;
}

const TERM = /^\p{L}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*$/u;

const usable = (token: Token): boolean =>
  token.type === 'word' && !token.stopWord && TERM.test(token.value) && [...token.normal].length >= 2 && !NOT_TOPICS.has(token.normal) &&
  // "Ltd" and "Dr" name the kind of a name, not a topic
  !ORGANISATION_SUFFIXES.has(token.normal) && !PERSON_TITLES.has(token.normal.replace(/\.$/, ''));

/** Ranks by score, then alphabetically, so the same text always gives the same list. */
const byScore = (a: Keyword, b: Keyword): number => b.score - a.score || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0);

/** Keywords of English tokens tagged by wink: lemmatised nouns and 2–3 word noun phrases. */
export function englishKeywords(tokens: Token[], opts: { skip?: Set<number>; max?: number } = {}): Keyword[] {
  const { skip = new Set<number>(), max = MAX_KEYWORDS } = opts;
  // wink lemmatises nouns only; a capitalised "Widgets" tagged as a proper noun should still count
  // as "widget" when the text uses that noun elsewhere
  const nounLemmas = new Map<string, string>();
  for (const token of tokens) if (token.pos === 'NOUN') nounLemmas.set(token.normal, lemmaOf(token));
  const lemmas = new Set(nounLemmas.values());
  const termOf = (token: Token): string => {
    if (token.pos === 'NOUN') return lemmaOf(token);
    const singular = token.normal.replace(/ies$/, 'y').replace(/(?<!s)s$/, '');
    return nounLemmas.get(token.normal) ?? (lemmas.has(singular) ? singular : token.normal);
  };
  const counts = new Map<string, number>();
  const bump = (term: string): void => void counts.set(term, (counts.get(term) ?? 0) + 1);
  let run: Token[] = [];
  const closeRun = (): void => {
    // a phrase ends in a noun: trailing adjectives are dropped
    while (run.length > 0 && run.at(-1)!.pos === 'ADJ') run.pop();
    // the phrases that end in the run's head noun: "distribution centre" and "new distribution centre"
    const terms = run.map(termOf);
    for (let n = 2; n <= Math.min(3, terms.length); n += 1) bump(terms.slice(-n).join(' '));
    run = [];
  };
  for (const [index, token] of tokens.entries()) {
    // people's names are entities, not topics
    if (usable(token) && !skip.has(index) && (token.pos === 'NOUN' || token.pos === 'PROPN' || token.pos === 'ADJ')) {
      if (token.sentenceStart) closeRun();
      run.push(token);
      if (token.pos !== 'ADJ') bump(termOf(token));
    } else closeRun();
  }
  closeRun();
  const anyRepeated = [...counts.values()].some((n) => n > 1);
  const candidates = [...counts.entries()]
    // a phrase seen once is chance, unless nothing in the text repeats at all
    .filter(([term, count]) => !term.includes(' ') || count > 1 || !anyRepeated)
    .map(([term, count]) => ({ term, count, score: count * (1 + 0.5 * (term.split(' ').length - 1)) }));
  return pick(candidates, max);
}

/** wink's lemma, unless it respells the word ("centre" → "center") rather than inflects it. */
function lemmaOf(token: Token): string {
  const lemma = token.lemma;
  return lemma.length > 1 && token.normal.startsWith(lemma.slice(0, -1)) ? lemma : token.normal;
}

/** Keywords by frequency for text without a tagger: single words, stop words out. */
export function frequentWords(tokens: Token[], opts: { skip?: Set<number>; max?: number } = {}): Keyword[] {
  const { skip = new Set<number>(), max = MAX_KEYWORDS } = opts;
  const counts = new Map<string, number>();
  for (const [index, token] of tokens.entries()) {
    if (!usable(token) || skip.has(index) || [...token.normal].length < 3) continue;
    counts.set(token.normal, (counts.get(token.normal) ?? 0) + 1);
  }
  return pick([...counts.entries()].map(([term, count]) => ({ term, count, score: count })), max);
}

/** The best candidates, skipping any that a better one already contains ("shipment" after "widget shipment"). */
function pick(candidates: Keyword[], max: number): Keyword[] {
  const chosen: Keyword[] = [];
  // terms seen once only fill in when few terms repeat: otherwise they are noise in alphabetical order
  const repeated = candidates.filter((c) => c.count > 1).length;
  const pool = repeated >= 3 ? candidates.filter((c) => c.count > 1) : candidates;
  for (const candidate of pool.sort(byScore)) {
    const words = candidate.term.split(' ');
    const overlaps = chosen.some((kept) => {
      const keptWords = kept.term.split(' ');
      return words.every((w) => keptWords.includes(w));
    });
    if (!overlaps) chosen.push(candidate);
    if (chosen.length === max) break;
  }
  return chosen;
}
