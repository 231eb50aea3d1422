import { describe, expect, it } from 'vitest';
import { ANALYSED_CHARS, MAX_SUMMARY, MAX_TAGS, understand, UNDERSTANDING_VERSION, type Entity } from '../../src/understand/index.js';

const INVOICE = `ACME WIDGETS LTD.
Invoice INV-2041

Invoice INV-2041 from Acme Widgets Ltd. to Globex Corporation, dated 12 March 2024.
Dr. Jane Smith of the University of Oxford approved the order with Mr. Brown in Paris, France.
Mary Johnson from Deutsche Bank AG confirmed the widget shipment to Texas.
The amount due is $1,250.00, payable by April 30, 2025 to billing@acme.example or at https://acme.example/pay.
Please contact John O'Neill at Initech LLC in New York about the widget shipment.
The Springfield City Council ordered forty widgets for the new library.`;

const CONTRACT = `SERVICE AGREEMENT

This Agreement is made between Northwind Traders Inc. (the "Supplier") and Contoso Ltd. (the "Client"), each a party to this agreement.
The parties agree to the terms and conditions set out below.
The Supplier shall deliver the services described in Schedule A.
This agreement is governed by the laws of England.`;

const UNRELATED = `The garden was quiet in the early morning. Birds sang in the old oak tree while the gardener watered
the roses. Later that day the children played football on the lawn and their grandmother read a novel
in the shade. Nobody talked about work, money or the weather.`;

const kinds = (entities: Entity[], kind: Entity['kind']): string[] => entities.filter((e) => e.kind === kind).map((e) => e.text).sort();
const squash = (s: string): string => s.replace(/\s+/g, ' ');

describe('understand: entities', () => {
  it('given planted people, organisations and places, when understood, then each is found with its kind', () => {
    const { entities } = understand({ text: INVOICE, name: 'invoice.pdf', language: 'eng' });
    expect(kinds(entities, 'person')).toEqual(["Jane Smith", "John O'Neill", 'Mary Johnson', 'Mr. Brown']);
    expect(kinds(entities, 'organisation')).toEqual(
      expect.arrayContaining(['Acme Widgets Ltd.', 'Deutsche Bank AG', 'Globex Corporation', 'Initech LLC', 'Springfield City Council', 'University of Oxford']),
    );
    expect(kinds(entities, 'place')).toEqual(['France', 'New York', 'Paris', 'Texas']);
  });

  it('given dates, amounts, an address and a link, when understood, then they are found and cleaned', () => {
    const { entities } = understand({ text: INVOICE, name: 'invoice.pdf', language: 'eng' });
    expect(kinds(entities, 'date')).toEqual(expect.arrayContaining(['12 March 2024', 'April 30, 2025']));
    expect(kinds(entities, 'amount')).toEqual(['$1,250.00']);
    // the model and the patterns both read an amount with its scale; it is one entity
    const scaled = understand({ text: 'Revenue grew to $48.2 million last year.', name: 'a.txt', language: 'eng' }).entities;
    expect(kinds(scaled, 'amount')).toEqual(['$48.2 million']);
    const dated = understand({ text: 'Signed on 12.03.2024 and again on 2024-04-01, twice on 2024-04-01.', name: 'a.txt', language: 'eng' }).entities;
    expect(dated.filter((e) => e.kind === 'date')).toEqual([
      { text: '2024-04-01', kind: 'date', count: 2 },
      { text: '12.03.2024', kind: 'date', count: 1 },
    ]);
    expect(kinds(entities, 'email')).toEqual(['billing@acme.example']);
    expect(kinds(entities, 'url')).toEqual(['https://acme.example/pay']);
  });

  it('given a name that recurs, when understood, then it is one entity with its count', () => {
    const text = 'Globex Corporation signed. Later Globex Corporation paid. Then Globex Corporation left.';
    const { entities } = understand({ text, name: 'a.txt', language: 'eng' });
    expect(entities).toContainEqual({ text: 'Globex Corporation', kind: 'organisation', count: 3 });
  });

  it('given capitalised words without evidence of a kind, when understood, then no name is invented', () => {
    const text = 'Quarterly Results were discussed. The Blue Team won the Spring Cup against Red Rovers.';
    const { entities } = understand({ text, name: 'a.txt', language: 'eng' });
    expect(entities.filter((e) => ['person', 'place', 'organisation'].includes(e.kind))).toEqual([]);
  });

  it('given German text, when understood without the model, then patterns and capitalised runs still find entities', () => {
    const text = 'Herr Dr. Klaus Weber von der Siemens AG traf Frau Petra Schmidt in Berlin am 12.03.2024. Rechnung über 1.200,00 € an info@siemens.example, fällig am 01.04.2024.';
    const { entities, tags } = understand({ text, name: 'rechnung.pdf', language: 'deu' });
    expect(kinds(entities, 'person')).toEqual(['Klaus Weber', 'Petra Schmidt']);
    expect(kinds(entities, 'organisation')).toEqual(['Siemens AG']);
    expect(kinds(entities, 'place')).toEqual(['Berlin']);
    expect(kinds(entities, 'date')).toEqual(['01.04.2024', '12.03.2024']);
    expect(kinds(entities, 'amount')).toEqual(['1.200,00 €']);
    expect(kinds(entities, 'email')).toEqual(['info@siemens.example']);
    expect(tags.map((t) => t.name)).toContain('invoice');
  });
});

describe('understand: keywords', () => {
  it('given a text about one subject, when understood, then its lemmatised terms lead, without stop words', () => {
    const { keywords } = understand({ text: INVOICE, name: 'invoice.pdf', language: 'eng' });
    expect(keywords[0]).toBe('widget'); // "widget", "widgets" and a capitalised "Widgets" are one lemma
    expect(keywords).toContain('widget shipment');
    expect(keywords.length).toBeLessThanOrEqual(10);
    for (const stop of ['the', 'and', 'of', 'ltd']) expect(keywords).not.toContain(stop);
  });

  it('given the same text twice, when understood, then the keywords are identical (score, then alphabetical)', () => {
    const first = understand({ text: UNRELATED, name: 'a.txt', language: 'eng' }).keywords;
    expect(understand({ text: UNRELATED, name: 'a.txt', language: 'eng' }).keywords).toEqual(first);
    // equal counts fall back to alphabetical order
    const tied = understand({ text: 'Trees and birds. Grandmother. Birds, trees and a grandmother.', name: 'a.txt', language: 'eng' }).keywords;
    expect(tied).toEqual(['bird', 'grandmother', 'tree']);
  });

  it('given people named often and British spelling, when understood, then names are not topics and spelling is kept', () => {
    const text = 'Sarah Connor opened the distribution centre. Sarah Connor runs the distribution centre. The new distribution centre ships colour samples.';
    const { keywords, entities } = understand({ text, name: 'a.txt', language: 'eng' });
    expect(keywords).toContain('distribution centre');
    expect(keywords).not.toContain('connor');
    expect(keywords).not.toContain('sarah');
    expect(entities).toContainEqual({ text: 'Sarah Connor', kind: 'person', count: 2 });
  });

  it('given French text, when understood by frequency, then its stop words are left out', () => {
    const text = 'Le projet de rénovation avance. Le projet de rénovation du musée est financé par la ville. La ville finance le projet.';
    const { keywords } = understand({ text, name: 'a.txt', language: 'fra' });
    expect(keywords.slice(0, 3)).toEqual(['projet', 'rénovation', 'ville']);
    for (const stop of ['le', 'la', 'de', 'du', 'est', 'par']) expect(keywords).not.toContain(stop);
  });
});

describe('understand: summary', () => {
  it('given a longer text, when understood, then the summary is 2–4 of its sentences, in order, within 600 characters', () => {
    const { summary } = understand({ text: INVOICE, name: 'invoice.pdf', language: 'eng' });
    expect(summary.length).toBeLessThanOrEqual(MAX_SUMMARY);
    const sentences = summary.match(/[^.!?]+(?:\.(?=\s|$)|[!?])/g) ?? [];
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    // every sentence of the summary is in the text, and they come in the text's order
    let from = 0;
    for (const sentence of summary.split(/(?<=[.!?])\s+(?=[A-Z])/)) {
      const at = squash(INVOICE).indexOf(sentence, from);
      expect(at, sentence).toBeGreaterThanOrEqual(from);
      from = at + sentence.length;
    }
  });

  it('given one giant sentence, when understood, then the summary is cut at a word, marked, within bounds', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `word${i % 97}`).join(' ');
    const { summary } = understand({ text, name: 'a.txt', language: 'eng' });
    expect(summary.length).toBeLessThanOrEqual(MAX_SUMMARY);
    expect(summary.endsWith('…')).toBe(true);
    expect(text.startsWith(summary.slice(0, -1))).toBe(true);
  });
});

describe('understand: tags', () => {
  it('given an invoice, when understood, then the invoice rule fires and says why', () => {
    const { tags } = understand({ text: INVOICE, name: 'invoice.pdf', language: 'eng' });
    const invoice = tags.find((t) => t.name === 'invoice');
    expect(invoice).toMatchObject({ source: 'rule' });
    expect(invoice?.why).toMatch(/invoice.*\$1,250\.00.*due/);
    expect(tags.map((t) => t.name)).not.toContain('contract');
  });

  it('given a contract, when understood, then the contract rule fires and the invoice rule does not', () => {
    const { tags } = understand({ text: CONTRACT, name: 'msa.docx', language: 'eng' });
    expect(tags.find((t) => t.name === 'contract')).toMatchObject({ source: 'rule' });
    expect(tags.map((t) => t.name)).not.toContain('invoice');
  });

  it('given unrelated prose, when understood, then no rule fires and only keyword tags are suggested', () => {
    const { tags } = understand({ text: UNRELATED, name: 'story.txt', language: 'eng' });
    expect(tags.filter((t) => t.source === 'rule')).toEqual([]);
    expect(tags.length).toBeGreaterThan(0);
  });

  it('given "invoice" without an amount or a due date, when understood, then it is not an invoice', () => {
    const text = 'I will send you the invoice template next week, as we discussed at lunch.';
    expect(understand({ text, name: 'note.txt', language: 'eng' }).tags.map((t) => t.name)).not.toContain('invoice');
  });

  it('given any document, when understood, then tags are lower case, unique and at most eight', () => {
    for (const text of [INVOICE, CONTRACT, UNRELATED]) {
      const { tags } = understand({ text, name: 'CV_resume.pdf', language: 'eng' });
      expect(tags.length).toBeLessThanOrEqual(MAX_TAGS);
      expect(new Set(tags.map((t) => t.name)).size).toBe(tags.length);
      for (const tag of tags) expect(tag.name).toBe(tag.name.toLowerCase());
    }
  });

  it('given meeting minutes, a letter and a CV, when understood, then their rules fire', () => {
    const minutes = 'Minutes of the project meeting. Attendees: Ana, Bo. Agenda: budget. Action items: Bo sends the plan.';
    const letter = 'Dear Ms Walker,\nThank you for your note about the move.\nYours sincerely,\nTom';
    const cv = 'Curriculum Vitae\nExperience\nSoftware engineer, 2019–2024.\nEducation\nBSc Computing.\nSkills\nTypeScript.';
    expect(understand({ text: minutes, name: 'm.txt', language: 'eng' }).tags.map((t) => t.name)).toContain('meeting notes');
    expect(understand({ text: letter, name: 'l.txt', language: 'eng' }).tags.map((t) => t.name)).toContain('letter');
    expect(understand({ text: cv, name: 'cv.pdf', language: 'eng' }).tags.map((t) => t.name)).toContain('cv');
  });
});

describe('understand: hostile and odd inputs', () => {
  const wellFormed = (value: unknown): void => {
    const json = JSON.stringify(value);
    expect(json).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i); // no lone high surrogate
    expect(json).not.toMatch(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/);
  };

  it('given empty text or a single word, when understood, then the output is empty but well formed', () => {
    expect(understand({ text: '', name: '', language: null })).toEqual({ keywords: [], entities: [], summary: '', tags: [], truncated: false });
    const one = understand({ text: 'Hello', name: 'a.txt', language: 'eng' });
    expect(one.summary).toBe('Hello');
    expect(one.entities).toEqual([]);
  });

  it('given a huge text, when understood, then only the first 200,000 characters are analysed and it says so', () => {
    const text = `${INVOICE}\n`.repeat(Math.ceil((ANALYSED_CHARS * 3) / INVOICE.length));
    const result = understand({ text, name: 'big.txt', language: 'eng' });
    expect(result.truncated).toBe(true);
    expect(result.summary.length).toBeLessThanOrEqual(MAX_SUMMARY);
    expect(result.keywords[0]).toBe('widget');
  });

  it('given one 200,000-letter word, when understood in English, then it returns (wink alone would take seconds)', () => {
    const result = understand({ text: 'x'.repeat(ANALYSED_CHARS), name: 'a.txt', language: 'eng' });
    expect(result.summary.length).toBeLessThanOrEqual(MAX_SUMMARY);
    expect(result.entities).toEqual([]);
  });

  it('given text with no sentence punctuation, when understood, then the summary is bounded', () => {
    const vocabulary = ['river', 'stone', 'bridge', 'lantern', 'meadow', 'harbour', 'pillar'];
    const text = Array.from({ length: 3000 }, (_, i) => (i % 40 === 0 ? '\n' : vocabulary[i % vocabulary.length])).join(' ');
    const result = understand({ text, name: 'a.txt', language: null });
    expect(result.summary.length).toBeLessThanOrEqual(MAX_SUMMARY);
    expect(result.keywords.length).toBeGreaterThan(0);
  });

  it('given RTL marks, zero-width characters, combining storms and lone surrogates, when understood, then the output is clean', () => {
    const storm = `Z${'\u0301'.repeat(5000)}algo`;
    const text = `Invoice\u200B from \u202EAcme Widgets Ltd.\u202C to Globex Corporation. ${storm} \uD800 broken \uDFFF pair. \u2067Hidden\u2069 text follows here today.`;
    const result = understand({ text, name: 'evil\u202Efdp.exe', language: 'eng' });
    wellFormed(result);
    expect(kinds(result.entities, 'organisation')).toEqual(['Acme Widgets Ltd.', 'Globex Corporation']);
    expect(result.summary).not.toMatch(/\u0301{4}/);
  });

  it('given HTML-looking text, when understood, then it is treated as text and returned unescaped', () => {
    const text = '<script>alert("x")</script> The quarterly <b>report</b> covers revenue growth. Revenue growth was strong in every region.';
    const result = understand({ text, name: 'a.html', language: 'eng' });
    expect(result.summary).toContain('<b>report</b>');
    expect(result.keywords).toContain('revenue growth');
  });

  it('given Japanese and Arabic text, when understood, then nothing breaks and words are counted', () => {
    const japanese = '東京で会議がありました。会議の議事録を作成しました。次の会議は来週です。';
    const arabic = 'هذا تقرير عن المشروع الجديد. المشروع الجديد يبدأ في الربيع. التقرير يشرح الميزانية.';
    const ja = understand({ text: japanese, name: 'a.txt', language: 'jpn' });
    const ar = understand({ text: arabic, name: 'b.txt', language: 'arb' });
    wellFormed([ja, ar]);
    expect(ja.summary.length).toBeGreaterThan(0);
    expect(ar.keywords).toContain('المشروع');
  });

  it('has a version to stamp on stored output', () => {
    expect(Number.isInteger(UNDERSTANDING_VERSION)).toBe(true);
    expect(UNDERSTANDING_VERSION).toBeGreaterThan(0);
  });
});
