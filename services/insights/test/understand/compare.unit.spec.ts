import { describe, expect, it } from 'vitest';
import { compareVersions, MAX_COMPARED_SENTENCES } from '../../src/understand/index.js';

describe('compareVersions', () => {
  it('given a sentence changed, one added and one removed, when compared, then each is listed in order', () => {
    const v2 = 'The rent is 1,000 euros. The tenant keeps a cat. The lease ends in May. Heating is included.';
    const v5 = 'The rent is 1,200 euros. The lease ends in May. Heating is included. Parking costs 50 euros. The garden is shared.';
    const result = compareVersions(v2, v5);
    expect(result.added).toEqual(['The rent is 1,200 euros.', 'Parking costs 50 euros.', 'The garden is shared.']);
    expect(result.removed).toEqual(['The rent is 1,000 euros.', 'The tenant keeps a cat.']);
    expect(result.summary).toBe('3 sentences added, 2 removed.');
  });

  it('given the same text with other spacing and case, when compared, then nothing changed', () => {
    const result = compareVersions('One sentence here.\nAnother  one.', 'one sentence here. Another one.');
    expect(result).toMatchObject({ added: [], removed: [], summary: 'No sentence changed.' });
  });

  it('given an empty older version, when compared, then everything was added', () => {
    const result = compareVersions('', 'First. Second.');
    expect(result.added).toEqual(['First.', 'Second.']);
    expect(result.summary).toBe('2 sentences added, 0 removed.');
  });

  it('given many changes, when compared, then the lists are bounded and the counts are full', () => {
    const older = Array.from({ length: 100 }, (_, i) => `Old sentence ${i}.`).join(' ');
    const newer = Array.from({ length: 100 }, (_, i) => `New sentence ${i}.`).join(' ');
    const result = compareVersions(older, newer, { maxItems: 5 });
    expect(result.added).toHaveLength(5);
    expect(result.removed).toHaveLength(5);
    expect(result.addedCount).toBe(100);
    expect(result.summary).toContain('100 sentences added, 100 removed.');
    expect(result.summary).toContain('Showing the first 5');
  });

  it('given versions past the sentence cap, when compared, then only the cap is compared and it says so', () => {
    const older = Array.from({ length: MAX_COMPARED_SENTENCES + 500 }, (_, i) => `Line ${i} of the ledger.`).join(' ');
    const newer = older.replace('Line 10 of the ledger.', 'Line ten of the ledger.');
    const result = compareVersions(older, newer);
    expect(result.added).toEqual(['Line ten of the ledger.']);
    expect(result.removed).toEqual(['Line 10 of the ledger.']);
    expect(result.summary).toContain('Only the first 5,000 sentences');
  });

  it('given two large unrelated versions, when compared, then it falls back to a set difference and says so', () => {
    const older = Array.from({ length: 4000 }, (_, i) => `Alpha ${i} stands.`).join(' ');
    const newer = Array.from({ length: 4000 }, (_, i) => `Beta ${i} stands.`).join(' ');
    const result = compareVersions(older, newer);
    expect(result.addedCount).toBe(4000);
    expect(result.removedCount).toBe(4000);
    expect(result.summary).toContain('differ too much');
  });

  it('given hostile Unicode, when compared, then the output is clean', () => {
    const result = compareVersions('Safe text.', `Safe text. \u202EEvil\u202C\u200B added\uD800.`);
    expect(result.added).toEqual(['Evil added\uFFFD.']);
  });
});
