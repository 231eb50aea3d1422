/**
 * Suggested tags: document kinds recognised by rules (each says why it fired), then the top
 * keywords. A user accepts or rejects each suggestion; the rules ask for two or three independent
 * signals so that a passing mention of "invoice" in a letter does not make it an invoice.
 */
import type { Entity } from './entities.js';
import type { Keyword } from './keywords.js';

/** A tag proposed for a document, with the evidence for it. */
export interface SuggestedTag {
  name: string;
  source: 'rule' | 'keyword';
  why: string;
}

/** A document gets at most this many suggestions. */
export const MAX_TAGS = 8;
const MAX_KEYWORD_TAGS = 5;

interface Evidence {
  /** the analysed text, lower-cased */
  text: string;
  /** the file name, lower-cased */
  name: string;
  contentType: string;
  entities: Entity[];
}

interface Rule {
  tag: string;
  /** the reason when it fires, or null */
  test(e: Evidence): string | null;
}

/** The first of the patterns found, as the word that matched. */
function found(text: string, ...patterns: RegExp[]): string | null {
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match) return match[0];
  }
  return null;
}

const amountOf = (e: Evidence): string | null => e.entities.find((entity) => entity.kind === 'amount')?.text ?? null;

const RULES: Rule[] = [
  {
    tag: 'invoice',
    test(e) {
      const word = found(e.text, /\binvoice\b/, /\brechnung\b/, /\bfacture\b/, /\bfactura\b/, /\bfattura\b/);
      const amount = amountOf(e);
      const due = found(e.text, /\b(?:amount|balance|payment|total) due\b/, /\bdue (?:date|by|on)\b/, /\bpayable\b/, /\bdue\b/, /\bfällig\b/, /(?<!\p{L})échéance\b/u);
      return word && amount && due ? `mentions "${word}", an amount (${amount}) and "${due}"` : null;
    },
  },
  {
    tag: 'receipt',
    test(e) {
      const word = found(e.text, /\breceipt\b/, /\bpayment received\b/, /\bthank you for your (?:purchase|order|payment)\b/, /\bquittung\b/, /\breçu\b/);
      const amount = amountOf(e);
      const paid = found(e.text, /\bpaid\b/, /\btotal\b/, /\bchange\b/, /\bcard ending\b/);
      return word && amount && paid ? `mentions "${word}", an amount (${amount}) and "${paid}"` : null;
    },
  },
  {
    tag: 'contract',
    test(e) {
      const word = found(e.text, /\bagreement\b/, /\bcontract\b/, /\bvertrag\b/, /\bcontrat\b/);
      const party = found(e.text, /\bpart(?:y|ies)\b/, /\bhereinafter\b/);
      const terms = found(e.text, /\bterms and conditions\b/, /\bterms\b/, /\bshall\b/, /\bhereby\b/, /\bgoverning law\b/);
      return word && party && terms ? `mentions "${word}", "${party}" and "${terms}"` : null;
    },
  },
  {
    tag: 'cv',
    test(e) {
      const named = found(e.name, /\b(?:cv|resume|lebenslauf)\b/, /\brésumé(?!\p{L})/u, /curriculum/);
      const heading = found(e.text, /\bcurriculum vitae\b/, /\brésumé(?!\p{L})/u, /\bresume\b/);
      const sections = ['experience', 'education', 'skills', 'employment'].filter((s) => e.text.includes(s));
      if ((named || heading) && sections.length >= 2) return `${named ? `named "${named}"` : `mentions "${heading}"`} with ${sections.slice(0, 2).join(' and ')} sections`;
      return null;
    },
  },
  {
    tag: 'meeting notes',
    test(e) {
      const word = found(e.text, /\bminutes of\b/, /\bmeeting\b/, /\bminutes\b/);
      const part = found(e.text, /\bagenda\b/, /\battendees\b/, /\baction items?\b/, /\bpresent:/, /\bapologies\b/);
      return word && part ? `mentions "${word}" and "${part}"` : null;
    },
  },
  {
    tag: 'report',
    test(e) {
      const word = found(e.name, /\breport\b/) ?? found(e.text.slice(0, 2000), /\breport\b/);
      const part = found(e.text, /\bexecutive summary\b/, /\bfindings\b/, /\bconclusions?\b/, /\brecommendations\b/, /\bmethodology\b/);
      return word && part ? `mentions "${word}" and "${part}"` : null;
    },
  },
  {
    tag: 'letter',
    test(e) {
      const greeting = found(e.text.slice(0, 1500), /(?:^|\n)\s*dear [^\n,]{1,40}/);
      const closing = found(e.text, /\byours (?:sincerely|faithfully|truly)\b/, /\bkind regards\b/, /\bbest regards\b/, /\bsincerely\b/);
      return greeting && closing ? `opens with "${greeting.trim()}" and closes with "${closing}"` : null;
    },
  },
  {
    tag: 'tax',
    test(e) {
      const signals = [/\btax return\b/, /\btax year\b/, /\btaxable\b/, /\bvat\b/, /\birs\b/, /\bhmrc\b/, /\bwithholding\b/, /\bw-2\b/, /\b1099\b/, /\bdeductions?\b/, /\bincome tax\b/]
        .map((pattern) => found(e.text, pattern))
        .filter((s): s is string => s !== null);
      return signals.length >= 2 ? `mentions "${signals[0]}" and "${signals[1]}"` : null;
    },
  },
  {
    tag: 'bank statement',
    test(e) {
      const word = found(e.text, /\b(?:bank|account) statement\b/, /\bstatement of account\b/);
      const balance = found(e.text, /\b(?:opening|closing|available) balance\b/, /\bbalance\b/);
      return word && balance ? `mentions "${word}" and "${balance}"` : null;
    },
  },
  {
    tag: 'presentation',
    test: (e) => (/presentationml|powerpoint|opendocument\.presentation/.test(e.contentType) ? `is a slide deck (${e.contentType})` : null),
  },
  {
    tag: 'spreadsheet',
    test: (e) => (/spreadsheetml|ms-excel|opendocument\.spreadsheet|text\/csv/.test(e.contentType) ? `is a spreadsheet (${e.contentType})` : null),
  },
];

/** Rule tags for the document, then its top keywords as keyword tags; lower case, no duplicates. */
export function suggestTags(input: { text: string; name: string; contentType?: string; entities: Entity[]; keywords: Keyword[] }): SuggestedTag[] {
  const evidence: Evidence = {
    text: input.text.toLowerCase(),
    name: input.name.toLowerCase().replace(/[_.-]+/g, ' '),
    contentType: (input.contentType ?? '').toLowerCase(),
    entities: input.entities,
  };
  const tags: SuggestedTag[] = [];
  const seen = new Set<string>();
  for (const rule of RULES) {
    const why = rule.test(evidence);
    if (why !== null && !seen.has(rule.tag)) {
      tags.push({ name: rule.tag, source: 'rule', why });
      seen.add(rule.tag);
    }
  }
  let keywordTags = 0;
  for (const keyword of input.keywords) {
    if (tags.length >= MAX_TAGS || keywordTags >= MAX_KEYWORD_TAGS) break;
    const name = keyword.term.toLowerCase().replace(/\s+/g, ' ').trim().slice(0, 40);
    if (name === '' || seen.has(name)) continue;
    seen.add(name);
    keywordTags += 1;
    tags.push({ name, source: 'keyword', why: `keyword, ${keyword.count} ${keyword.count === 1 ? 'mention' : 'mentions'}` });
  }
  return tags.slice(0, MAX_TAGS);
}
