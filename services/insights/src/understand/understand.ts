import { findEntities, findNames, type Entity } from './entities.js';
import { englishKeywords, frequentWords } from './keywords.js';
import { analyseEnglish, tokenisePlain } from './nlp.js';
import { stopWordsFor } from './stopwords.js';
import { summarise } from './summary.js';
import { suggestTags, type SuggestedTag } from './tags.js';
import { ANALYSED_CHARS, capText, sanitise } from './text.js';

/** What a document is about, as stored beside its index entry. */
export interface Understanding {
  keywords: string[];
  entities: Entity[];
  summary: string;
  tags: SuggestedTag[];
  /** true when only the first ANALYSED_CHARS characters were analysed */
  truncated: boolean;
}

/**
 * Raise it whenever the output for the same input would change (rules, lexicons, model, limits):
 * the service re-indexes every document whose stored version is older.
 */
export const UNDERSTANDING_VERSION = 1;

/**
 * Keywords, entities, an extractive summary and suggested tags of a document's extracted text.
 * text: the extracted text; language: ISO 639-3 or null (only 'eng' gets the NLP model; others
 * get a statistical fallback: keywords by frequency without stop words, patterns and capitalised
 * runs for entities, the same term-frequency summary). Only the first 200,000 characters are
 * analysed, which bounds time and memory whatever the document (see `truncated`). Pure and
 * deterministic; the text comes back unescaped (the caller escapes on output).
 */
export function understand(input: { text: string; name: string; language: string | null; contentType?: string }): Understanding {
  // cap before cleaning so that a huge text costs no more than a large one
  const capped = capText(input.text, ANALYSED_CHARS);
  const text = sanitise(capped.text);
  const stopWords = stopWordsFor(input.language);
  const english = input.language === 'eng';
  const analysis = english ? analyseEnglish(text) : { tokens: tokenisePlain(text, stopWords), entities: null };
  const names = findNames(analysis.tokens);
  const people = new Set(names.filter((n) => n.kind === 'person').flatMap((n) => range(n.span)));
  const keywords = english ? englishKeywords(analysis.tokens, { skip: people }) : frequentWords(analysis.tokens, { skip: people });
  const entities = findEntities(text, analysis.tokens, analysis.entities, names);
  // names and types are short in practice; a hostile one must not cost more than the text
  const name = sanitise(capText(input.name, 1000).text);
  const contentType = capText(input.contentType ?? '', 200).text;
  const tags = suggestTags({ text, name, contentType, entities, keywords });
  return {
    keywords: keywords.map((k) => k.term),
    entities,
    summary: summarise(text, stopWords),
    tags,
    truncated: capped.truncated,
  };
}

const range = ([first, last]: [number, number]): number[] => Array.from({ length: last - first + 1 }, (_, i) => first + i);
