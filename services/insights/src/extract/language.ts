import { franc } from 'franc-min';

const MIN_CHARS = 40;
const SAMPLE_CHARS = 2000;

/**
 * The language of a text as ISO 639-3 (franc-min), from three samples of a long text so that the
 * cost does not grow with the document; null when there is too little text to tell.
 */
export function detectLanguage(text: string): string | null {
  let sample = text;
  if (text.length > SAMPLE_CHARS * 3) {
    const middle = Math.floor(text.length / 2 - SAMPLE_CHARS / 2);
    sample = [text.slice(0, SAMPLE_CHARS), text.slice(middle, middle + SAMPLE_CHARS), text.slice(-SAMPLE_CHARS)].join('\n');
  }
  const letters = sample.replace(/[\s\d\p{P}\p{S}]+/gu, '');
  if (letters.length < MIN_CHARS) return null;
  const language = franc(sample, { minLength: MIN_CHARS });
  return language === 'und' ? null : language;
}

// Postgres's built-in text search configurations (15), by the ISO 639-3 codes franc gives
const CONFIGS: Readonly<Record<string, string>> = {
  arb: 'arabic', ara: 'arabic',
  hye: 'armenian',
  eus: 'basque',
  cat: 'catalan',
  dan: 'danish',
  nld: 'dutch',
  eng: 'english',
  fin: 'finnish',
  fra: 'french',
  deu: 'german',
  ell: 'greek',
  hin: 'hindi',
  hun: 'hungarian',
  ind: 'indonesian',
  gle: 'irish',
  ita: 'italian',
  lit: 'lithuanian',
  npi: 'nepali', nep: 'nepali',
  nob: 'norwegian', nno: 'norwegian', nor: 'norwegian',
  por: 'portuguese',
  ron: 'romanian',
  rus: 'russian',
  srp: 'serbian',
  spa: 'spanish',
  swe: 'swedish',
  tam: 'tamil',
  tur: 'turkish',
  ydd: 'yiddish', yid: 'yiddish',
};

/** Postgres text search configuration for a language ('eng' → 'english', …; unknown → 'simple'). */
export function textSearchConfig(language: string | null): string {
  return (language && CONFIGS[language.toLowerCase()]) || 'simple';
}
