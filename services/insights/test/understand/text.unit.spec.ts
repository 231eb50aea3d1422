import { describe, expect, it } from 'vitest';
import { capText, cleanInPlace, cutAtWord, sanitise, splitSentences, stem } from '../../src/understand/text.js';

const texts = (text: string): string[] => splitSentences(text).map((s) => s.text);

describe('sentences', () => {
  it('given abbreviations, initials and decimals, when split, then sentences end only where they end', () => {
    expect(texts('Dr. Smith paid $3.50 to J. R. Brown, e.g. for tea. Then he left! Did he? Yes.')).toEqual([
      'Dr. Smith paid $3.50 to J. R. Brown, e.g. for tea.',
      'Then he left!',
      'Did he?',
      'Yes.',
    ]);
  });

  it('given headings, bullets and lines wrapped mid-sentence, when split, then headings and bullets stand alone', () => {
    const text = 'Executive Summary\nThe project ran late because the supplier\ndelivered the parts in March.\n- first item\n- second item\n\nNext paragraph';
    expect(texts(text)).toEqual([
      'Executive Summary',
      'The project ran late because the supplier\ndelivered the parts in March.',
      '- first item',
      '- second item',
      'Next paragraph',
    ]);
  });

  it('gives offsets that point back into the text', () => {
    const text = '  One here.  Two there.\n\nThree.';
    for (const sentence of splitSentences(text)) expect(text.slice(sentence.start, sentence.start + sentence.text.length)).toBe(sentence.text);
  });

  it('splits Chinese and Japanese at their full stops', () => {
    expect(texts('会議がありました。次は来週です。')).toEqual(['会議がありました。', '次は来週です。']);
  });
});

describe('cleaning', () => {
  it('given hostile Unicode, when sanitised, then invisible, control and lone surrogate characters are gone', () => {
    const clean = sanitise(`a\u200Bb\u202Ec\u0000d\uD800e\uDFFFf${'\u0301'.repeat(50)}g\r\nh\ufb01`);
    expect(clean).toBe(`abc d\uFFFDe\uFFFDf${'\u0301'.repeat(3)}g\nhfi`);
  });

  it('keeps the length when cleaning in place', () => {
    const text = 'a\u0000b\u202Ec\uD800d';
    const clean = cleanInPlace(text);
    expect(clean).toHaveLength(text.length);
    expect(clean).toBe('a b c\uFFFDd');
  });

  it('never cuts a surrogate pair', () => {
    expect(capText('ab😀', 3)).toEqual({ text: 'ab', truncated: true });
    expect(cutAtWord('alpha beta gamma delta', 12)).toBe('alpha beta…');
  });

  it('stems questions and passages alike', () => {
    expect(['invoice', 'invoices', 'invoiced'].map(stem)).toEqual(['invoic', 'invoic', 'invoic']);
    expect(['signing', 'signed', 'signs'].map(stem)).toEqual(['sign', 'sign', 'sign']);
    expect(stem('companies')).toBe(stem('company'));
  });
});
