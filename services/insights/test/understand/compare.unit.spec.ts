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

  it('given random versions, when compared, then what is kept is common to both and as long as possible', () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const version = (): string[] => Array.from({ length: Math.floor(next() * 30) }, () => `Fruit ${['apple', 'pear', 'plum', 'lime', 'kiwi'][Math.floor(next() * 5)]}.`);
    const lcsLength = (a: string[], b: string[]): number => {
      const row = new Array<number>(b.length + 1).fill(0);
      for (const x of a) {
        let diagonal = 0;
        for (let j = 1; j <= b.length; j += 1) {
          const above = row[j]!;
          row[j] = x === b[j - 1] ? diagonal + 1 : Math.max(above, row[j - 1]!);
          diagonal = above;
        }
      }
      return row[b.length]!;
    };
    for (let round = 0; round < 300; round += 1) {
      const a = version();
      const b = version();
      const result = compareVersions(a.join(' '), b.join(' '), { maxItems: 100 });
      const common = lcsLength(a, b);
      expect(result.removedCount).toBe(a.length - common);
      expect(result.addedCount).toBe(b.length - common);
      // the removed sentences are a subsequence of the older version, the added ones of the newer
      const isSubsequence = (part: string[], whole: string[]): boolean => {
        let i = 0;
        for (const item of whole) if (item === part[i]) i += 1;
        return i === part.length;
      };
      expect(isSubsequence(result.removed, a)).toBe(true);
      expect(isSubsequence(result.added, b)).toBe(true);
    }
  });

  it('given a long text with scattered edits, when compared, then the ordered diff finds exactly them', () => {
    const older = Array.from({ length: 4500 }, (_, i) => `Clause ${i} applies.`);
    const newer = older.map((s, i) => (i % 150 === 0 ? `Clause ${i} no longer applies.` : s));
    const result = compareVersions(older.join(' '), newer.join(' '), { maxItems: 100 });
    expect(result.addedCount).toBe(30);
    expect(result.removedCount).toBe(30);
    expect(result.added[1]).toBe('Clause 150 no longer applies.');
    expect(result.summary).toBe('30 sentences added, 30 removed.');
  });

  it('given hostile Unicode, when compared, then the output is clean', () => {
    const result = compareVersions('Safe text.', `Safe text. \u202EEvil\u202C\u200B added\uD800.`);
    expect(result.added).toEqual(['Evil added\uFFFD.']);
  });
});
