/**
 * The answer when no language model is configured: the sentences of the retrieved passages that
 * best match the question, quoted and labelled as extractive, each with its citation. Sentences
 * are ranked by BM25 over all sentences of the candidates (stop words out, light stemming), so a
 * word that every passage shares counts for little and a rare one for much.
 */
import type { Chunk } from './chunk.js';
import { stopWordsFor } from './stopwords.js';
import { capText, cleanInPlace, cutAtWord, splitSentences, stem, words } from './text.js';

/** A retrieved passage of one file version. */
export interface Candidate {
  fileId: string;
  version: number;
  name: string;
  chunk: Chunk;
  /** the retrieval score, if any; only breaks ties here */
  score?: number;
}

export interface Citation {
  fileId: string;
  version: number;
  page: number | null;
  /** the whole chunk the quote comes from */
  passage: string;
  name: string;
  /** the sentences quoted from the passage */
  quote: string;
}

export interface ExtractiveAnswer {
  answer: string;
  citations: Citation[];
}

export const EXTRACTIVE_LABEL = 'From your documents (extractive, no model):';
export const NOTHING_FOUND = 'Nothing relevant was found in your documents for this question (extractive answer, no model).';

const MAX_QUESTION = 1000;
const MAX_CANDIDATES = 200;
const MAX_SENTENCES = 5000;
const MAX_QUOTE = 400;
const QUESTION_WORDS = new Set(['what', 'which', 'who', 'whom', 'whose', 'when', 'where', 'why', 'how', 'tell', 'show',
  'find', 'give', 'list', 'explain', 'describe', 'does', 'did', 'do', 'is', 'are', 'was', 'were', 'please', 'document', 'documents', 'file', 'files']);
const K1 = 1.2;
const B = 0.75;

// Chunks are ~1,000 characters; a caller's larger "chunk" is read (and quoted) up to this length.
const MAX_PASSAGE = 10_000;
const passageOf = (candidate: Candidate): string => cleanInPlace(capText(candidate.chunk.text, MAX_PASSAGE).text);

/** Stemmed terms of a text, stop words out. */
function termsOf(text: string, stopWords: Set<string>): string[] {
  return words(text)
    .filter((w) => !stopWords.has(w) && !QUESTION_WORDS.has(w))
    .map(stem);
}

/** The extractive answer when no model is configured: the best sentences from the candidates, labelled. */
export function answerExtractively(question: string, candidates: Candidate[], opts: { maxCitations?: number } = {}): ExtractiveAnswer {
  const maxCitations = Math.max(1, Math.min(10, opts.maxCitations ?? 3));
  const stopWords = stopWordsFor('eng');
  const asked = new Set(termsOf(cleanInPlace(capText(question, MAX_QUESTION).text), stopWords));
  if (asked.size === 0 || candidates.length === 0) return { answer: NOTHING_FOUND, citations: [] };

  const sentences: { candidate: number; text: string; terms: string[] }[] = [];
  candidates.slice(0, MAX_CANDIDATES).forEach((candidate, index) => {
    for (const sentence of splitSentences(passageOf(candidate))) {
      if (sentences.length >= MAX_SENTENCES) return;
      sentences.push({ candidate: index, text: sentence.text.replace(/\s+/g, ' '), terms: termsOf(sentence.text, stopWords) });
    }
  });
  if (sentences.length === 0) return { answer: NOTHING_FOUND, citations: [] };

  const documentFrequency = new Map<string, number>();
  let totalLength = 0;
  for (const sentence of sentences) {
    totalLength += sentence.terms.length;
    for (const term of new Set(sentence.terms)) if (asked.has(term)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const averageLength = Math.max(1, totalLength / sentences.length);
  const idf = (term: string): number => {
    const df = documentFrequency.get(term) ?? 0;
    return Math.log(1 + (sentences.length - df + 0.5) / (df + 0.5));
  };

  const scored = sentences
    .map((sentence, order) => {
      const counts = new Map<string, number>();
      for (const term of sentence.terms) if (asked.has(term)) counts.set(term, (counts.get(term) ?? 0) + 1);
      let score = 0;
      for (const [term, tf] of counts) score += (idf(term) * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * sentence.terms.length) / averageLength));
      // BM25 favours short text, and the shortest are headings ("Monthly Rent"), which answer nothing
      if (words(sentence.text).length < 4) score *= 0.5;
      return { ...sentence, order, score, matched: counts.size };
    })
    .filter((s) => s.matched > 0)
    .sort((a, b) => b.score - a.score || (candidates[b.candidate]?.score ?? 0) - (candidates[a.candidate]?.score ?? 0) || a.order - b.order);
  const best = scored[0];
  if (!best) return { answer: NOTHING_FOUND, citations: [] };

  // further sentences only when they are nearly as good as the best: a weak second quote misleads
  const picked: typeof scored = [];
  for (const sentence of scored) {
    if (picked.length === maxCitations || sentence.score < best.score * 0.5) break;
    if (picked.some((p) => p.text === sentence.text)) continue;
    picked.push(sentence);
  }

  const citations: Citation[] = [];
  const numberOf = new Map<number, number>();
  const parts: string[] = [];
  for (const sentence of picked) {
    const candidate = candidates[sentence.candidate]!;
    let number = numberOf.get(sentence.candidate);
    const quote = cutAtWord(sentence.text, MAX_QUOTE);
    if (number === undefined) {
      citations.push({
        fileId: candidate.fileId,
        version: candidate.version,
        page: candidate.chunk.page,
        passage: passageOf(candidate),
        name: candidate.name,
        quote,
      });
      number = citations.length;
      numberOf.set(sentence.candidate, number);
    } else {
      const citation = citations[number - 1]!;
      citation.quote = `${citation.quote} … ${quote}`;
    }
    parts.push(`${quote} [${number}]`);
  }
  return { answer: `${EXTRACTIVE_LABEL} ${parts.join(' ')}`, citations };
}
