/**
 * Named entities, with precision before recall.
 *
 * Dates, amounts, e-mail addresses and URLs come from wink's English model (its DATE, MONEY,
 * EMAIL and URL entities) and, in every language, from patterns (ISO and numeric dates,
 * currency symbols and codes beside a number, addresses, links). wink's lite model does not
 * know people, places or organisations, so those are found here from capitalised runs: tokens
 * that begin with a capital and (in English) are tagged as proper nouns, nouns or adjectives,
 * joined by "of", "&" and name particles ("van", "de"). A run becomes
 *   - an organisation when it ends in a legal form or institution word (Ltd, GmbH, Inc, Bank,
 *     University, Council, …) or reads "University of …", "Bank of …";
 *   - a person when a title (Mr, Ms, Dr, Prof, …) precedes it, or when it holds a common given
 *     name followed by one or two capitalised words;
 *   - a place when the whole run is in the gazetteer (countries, US states, large cities);
 *   - nothing otherwise.
 * Limits: surnames met alone later ("Smith said") are not linked back; names outside the short
 * given-name list, small towns and organisations without a telling word are missed; an all-caps
 * heading can read as a run; other languages get the same rules without part of speech, so a
 * German noun before "GmbH" may join the organisation's name.
 */
import { GIVEN_NAMES, ORGANISATION_HEADS, ORGANISATION_SUFFIXES, PERSON_TITLES, PLACES } from './gazetteer.js';
import { surface, type Token, type WinkEntity } from './nlp.js';
import { NOT_TOPICS } from './stopwords.js';

export type EntityKind = 'person' | 'place' | 'organisation' | 'date' | 'amount' | 'email' | 'url';

/** A named thing in the text, deduplicated, with how often it occurs. */
export interface Entity {
  text: string;
  kind: EntityKind;
  count: number;
}

/** At most this many entities are reported, the most frequent first. */
export const MAX_ENTITIES = 50;

const KIND_ORDER: EntityKind[] = ['person', 'organisation', 'place', 'date', 'amount', 'email', 'url'];

/** Collects entity mentions and deduplicates them by kind and a loose form of their text. */
class Tally {
  private readonly byKey = new Map<string, { kind: EntityKind; forms: Map<string, number>; first: number }>();
  private order = 0;

  add(kind: EntityKind, text: string, key = looseKey(text)): void {
    const clean = text.trim();
    if (clean === '' || key === '') return;
    const id = `${kind}\u0000${key}`;
    let entry = this.byKey.get(id);
    if (!entry) {
      entry = { kind, forms: new Map(), first: this.order++ };
      this.byKey.set(id, entry);
    }
    entry.forms.set(clean, (entry.forms.get(clean) ?? 0) + 1);
  }

  /** Merges another tally, keeping the larger count where both saw the same entity. */
  mergeMax(other: Tally): void {
    for (const [id, theirs] of other.byKey) {
      const ours = this.byKey.get(id);
      if (!ours) this.byKey.set(id, { ...theirs, first: this.order++ });
      else if (total(theirs.forms) > total(ours.forms)) ours.forms = theirs.forms;
    }
  }

  entities(): Entity[] {
    return [...this.byKey.values()]
      .map((entry) => {
        // the most frequent spelling names the entity; on a tie, one that is not all capitals
        // (a letterhead's "ACME LTD"), then the first seen
        const weight = ([form, n]: [string, number]): number => n + (/\p{Ll}/u.test(form) ? 0.5 : 0);
        const [text] = [...entry.forms.entries()].reduce((best, form) => (weight(form) > weight(best) ? form : best));
        return { text, kind: entry.kind, count: total(entry.forms) };
      })
      .sort(
        (a, b) =>
          b.count - a.count ||
          KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
          (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
      )
      .slice(0, MAX_ENTITIES);
  }
}

const total = (forms: Map<string, number>): number => [...forms.values()].reduce((sum, n) => sum + n, 0);
const looseKey = (text: string): string => text.toLowerCase().replace(/[.\s]+/g, ' ').trim();

/** Entities of a text from its tokens (with wink's entities when the text is English). */
export function findEntities(text: string, tokens: Token[], winkEntities: WinkEntity[] | null, names = findNames(tokens)): Entity[] {
  const tally = new Tally();
  for (const name of names) tally.add(name.kind, name.text);
  const patterns = new Tally();
  findPatterns(text, patterns, winkEntities === null);
  if (winkEntities) {
    const fromModel = new Tally();
    for (const entity of winkEntities) addWinkEntity(entity, tokens, fromModel);
    patterns.mergeMax(fromModel);
  }
  tally.mergeMax(patterns);
  return tally.entities();
}

const DATE_LEADS = new Set(['by', 'on', 'until', 'till', 'from', 'before', 'after', 'since', 'in', 'of', 'at', 'through', 'due', 'between', 'the', 'to']);

function addWinkEntity(entity: WinkEntity, tokens: Token[], tally: Tally): void {
  let [first, last] = entity.span;
  switch (entity.type) {
    case 'DATE': {
      while (first < last && DATE_LEADS.has(tokens[first]?.normal ?? '')) first += 1;
      // wink reads "April 30, 2025" as a date and a cardinal: the year belongs to the date
      if (tokens[last + 1]?.value === ',' && /^(1[89]|20)\d\d$/.test(tokens[last + 2]?.value ?? '')) last += 2;
      const text = surface(tokens, first, last);
      if (/\d/.test(text) || /\p{Lu}/u.test(text)) tally.add('date', text);
      return;
    }
    case 'MONEY': {
      const text = surface(tokens, first, last);
      tally.add('amount', text, amountKey(text));
      return;
    }
    case 'EMAIL':
      tally.add('email', surface(tokens, first, last));
      return;
    case 'URL':
      tally.add('url', trimUrl(surface(tokens, first, last)));
      return;
    default:
      return;
  }
}

const CURRENCY_CODES = 'USD|EUR|GBP|CHF|JPY|CNY|CAD|AUD|NZD|SEK|NOK|DKK|PLN|CZK|INR|BRL|MXN|ZAR|SGD|HKD';
// bounded repetitions: a long run of digit groups must not be rescanned from every group
const NUMBER = String.raw`\d{1,3}(?:[,.  ]\d{3}){1,6}(?:[.,]\d{1,2})?|\d{1,15}(?:[.,]\d{1,2})?`;
const AMOUNT = new RegExp(
  String.raw`(?:[$€£¥₹]|\b(?:${CURRENCY_CODES}))\s?(?:${NUMBER})(?!\d)(?:\s?(?:million|billion|thousand|bn|m|k)\b)?|(?<![\d.,])(?:${NUMBER})\s?(?:[€£$]|(?:${CURRENCY_CODES})\b|(?:euros?|dollars?|pounds)\b)`,
  'giu',
);
const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){0,8}\.\p{L}{2,24}/gu;
const URL = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/giu;
const NUMERIC_DATE = /(?<![\d.\-/])(?:(?:19|20)\d\d-[01]\d-[0-3]\d|[0-3]?\d[./][01]?\d[./](?:19|20)\d\d)(?![\d.\-/]*\d)/g;

function findPatterns(text: string, tally: Tally, withoutModel: boolean): void {
  for (const match of text.matchAll(AMOUNT)) tally.add('amount', match[0], amountKey(match[0]));
  // wink misses European dates ("12.03.2024"); where it reads one too, the tallies merge
  for (const match of text.matchAll(NUMERIC_DATE)) tally.add('date', match[0]);
  // wink already reads addresses and links in English; elsewhere patterns stand in for it
  if (!withoutModel) return;
  for (const match of text.matchAll(EMAIL)) tally.add('email', match[0]);
  for (const match of text.matchAll(URL)) tally.add('url', trimUrl(match[0]));
}

const amountKey = (text: string): string => text.toLowerCase().replace(/\s+/g, '');
const trimUrl = (url: string): string => url.replace(/[.,;:!?)\]}'"]+$/, '');

/** A name found in the tokens, with the first and last token it spans. */
export interface Name {
  text: string;
  kind: 'person' | 'organisation' | 'place';
  span: [number, number];
}

const NAME_POS = new Set(['PROPN', 'NOUN', 'ADJ', 'X']);
const JOINERS = new Set(['of', '&', 'for', 'van', 'von', 'de', 'der', 'den', 'da', 'di', 'du', 'la', 'le', 'del']);
// Words that open a sentence in a capital without being part of a name that follows them.
const LEADS = new Set(['dear', 'contact', 'attn', 'attention', 'invoice', 'payment', 'total', 'subject', 're', 'note',
  'please', 'thanks', 'regarding', 'summary', 'date', 'from', 'to', 'cc', 'signed', 'by', 'between', 'client', 'customer',
  // articles, for text read without a tagger in a language whose stop words are not English
  'the', 'a', 'an', 'der', 'die', 'das', 'le', 'la', 'les', 'el', 'los', 'las', 'il', 'lo', 'het', 'een']);

function nameLike(token: Token): boolean {
  if (token.type !== 'word' || !/^\p{Lu}/u.test(token.value)) return false;
  if (token.pos !== null && !NAME_POS.has(token.pos)) return false;
  return /^\p{Lu}[\p{L}\p{M}'’.&-]*$/u.test(token.value);
}

/** People, organisations and places from runs of capitalised tokens (see the module comment). */
export function findNames(tokens: Token[]): Name[] {
  const names: Name[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    if (!token || !nameLike(token)) {
      i += 1;
      continue;
    }
    let last = i;
    while (true) {
      const next = tokens[last + 1];
      if (next && nameLike(next) && !next.sentenceStart) last += 1;
      else if (next && JOINERS.has(next.normal) && tokens[last + 2] && nameLike(tokens[last + 2]!)) last += 2;
      else break;
    }
    const name = classify(tokens, i, last);
    if (name) names.push(name);
    i = last + 1;
  }
  return names;
}

const bare = (token: Token | undefined): string => (token?.normal ?? '').replace(/\.$/, '');

function classify(tokens: Token[], from: number, to: number): Name | null {
  let first = from;
  while (first < to && !PERSON_TITLES.has(bare(tokens[first])) && (LEADS.has(bare(tokens[first])) || tokens[first]!.stopWord || NOT_TOPICS.has(bare(tokens[first])))) {
    first += 1;
  }
  const count = to - first + 1;
  const text = (a: number, b: number): string => surface(tokens, a, b);

  if (PERSON_TITLES.has(bare(tokens[first])) && count >= 2) {
    let rest = first + 1;
    while (rest < to && PERSON_TITLES.has(bare(tokens[rest]))) rest += 1; // "Herr Dr. Weber"
    if (PERSON_TITLES.has(bare(tokens[rest]))) return null;
    // "Mr Brown" keeps its title, for a lone surname is not much of a name
    return to > rest ? { kind: 'person', text: text(rest, to), span: [rest, to] } : { kind: 'person', text: text(first, to), span: [first, to] };
  }
  const lastWord = bare(tokens[to]);
  if (count >= 2 && (ORGANISATION_SUFFIXES.has(lastWord) || ORGANISATION_SUFFIXES.has(tokens[to]!.normal))) {
    return { kind: 'organisation', text: text(first, to), span: [first, to] };
  }
  if (count >= 3 && ORGANISATION_HEADS.has(bare(tokens[first])) && ['of', 'for'].includes(tokens[first + 1]?.normal ?? '')) {
    return { kind: 'organisation', text: text(first, to), span: [first, to] };
  }
  const whole = text(first, to).toLowerCase();
  if (PLACES.has(whole) && !(count === 1 && tokens[first]!.value === tokens[first]!.value.toUpperCase() && whole.length > 3)) {
    return { kind: 'place', text: text(first, to), span: [first, to] };
  }
  for (let g = first; g < to; g += 1) {
    const given = tokens[g]!;
    if (!GIVEN_NAMES.has(given.normal) || given.value === given.value.toUpperCase()) continue;
    let end = g;
    while (end < to && end - g < 2 && surnameLike(tokens[end + 1]!)) end += 1;
    if (end > g) return { kind: 'person', text: text(g, end), span: [g, end] };
  }
  return null;
}

function surnameLike(token: Token): boolean {
  const word = bare(token);
  return (
    /^(?:\p{Lu}\p{Ll}|[OD]['’]\p{Lu})/u.test(token.value) &&
    !ORGANISATION_SUFFIXES.has(word) &&
    !PLACES.has(word) &&
    !NOT_TOPICS.has(word) &&
    !token.stopWord
  );
}
