import { describe, expect, it } from 'vitest';
import { answerExtractively, chunk, EXTRACTIVE_LABEL, NOTHING_FOUND, type Candidate } from '../../src/understand/index.js';

function candidates(files: { fileId: string; version: number; name: string; pages: string[] }[]): Candidate[] {
  return files.flatMap((file) =>
    chunk(file.pages.map((text, i) => ({ page: i + 1, text }))).map((c) => ({ fileId: file.fileId, version: file.version, name: file.name, chunk: c })),
  );
}

const CORPUS = candidates([
  {
    fileId: 'f-lease',
    version: 2,
    name: 'lease.pdf',
    pages: [
      'This lease is made between the landlord and the tenant. The tenant keeps the garden tidy.',
      'Monthly Rent\nThe monthly rent is 1,450 euros, paid on the first day of each month. The deposit equals three months of rent.',
    ],
  },
  {
    fileId: 'f-trip',
    version: 1,
    name: 'trip-notes.txt',
    pages: ['We rented a car for the month of July. The car was blue and the month was hot. Every day felt like the first day of summer.'],
  },
  {
    fileId: 'f-budget',
    version: 5,
    name: 'budget.xlsx',
    pages: ['The budget for marketing rose by ten percent. Travel costs fell in the second quarter.'],
  },
]);

describe('answerExtractively', () => {
  it('given the right passage among distractors, when asked, then it quotes it and cites file, version and page', () => {
    const result = answerExtractively('How much is the monthly rent?', CORPUS);
    expect(result.answer.startsWith(EXTRACTIVE_LABEL)).toBe(true);
    // the sentence that answers, not the heading above it that matches as well
    expect(result.answer).toMatch(/^From your documents \(extractive, no model\): The monthly rent is 1,450 euros/);
    expect(result.citations[0]).toMatchObject({ fileId: 'f-lease', version: 2, page: 2, name: 'lease.pdf' });
    expect(result.citations[0]!.passage).toContain('The monthly rent is 1,450 euros');
    expect(result.citations.map((c) => c.fileId)).not.toContain('f-budget');
  });

  it('given inflected words, when asked, then stems match ("rented a car" ← "rent cars")', () => {
    const result = answerExtractively('Which cars did we rent?', CORPUS);
    expect(result.citations[0]).toMatchObject({ fileId: 'f-trip', page: 1 });
    expect(result.answer).toContain('We rented a car');
  });

  it('caps the citations and labels each quote with its number', () => {
    const result = answerExtractively('month day rent', CORPUS, { maxCitations: 2 });
    expect(result.citations.length).toBeGreaterThan(0);
    expect(result.citations.length).toBeLessThanOrEqual(2);
    expect(result.answer).toMatch(/\[1\]/);
  });

  it('given no candidates, no matching word or only stop words, when asked, then nothing is found and nothing cited', () => {
    expect(answerExtractively('What is the rent?', [])).toEqual({ answer: NOTHING_FOUND, citations: [] });
    expect(answerExtractively('Who won the chess tournament?', CORPUS)).toEqual({ answer: NOTHING_FOUND, citations: [] });
    expect(answerExtractively('what is it and how?', CORPUS)).toEqual({ answer: NOTHING_FOUND, citations: [] });
    expect(answerExtractively('', CORPUS)).toEqual({ answer: NOTHING_FOUND, citations: [] });
  });

  it('given a hostile question and passages, when asked, then it answers within bounds', () => {
    const question = `rent ${'\u0301'.repeat(10_000)} \uD800 <script>alert(1)</script> ${'x '.repeat(50_000)}`;
    const evil = candidates([{ fileId: 'evil', version: 1, name: '<b>x</b>', pages: [`<img src=x onerror=alert(1)> The rent\u0000 is due.\uDFFF`] }]);
    const result = answerExtractively(question, [...evil, ...CORPUS]);
    expect(result.citations.length).toBeGreaterThan(0);
    expect(result.answer.length).toBeLessThan(2000);
    expect(JSON.stringify(result)).not.toMatch(/\\u0000/);
  });
});
