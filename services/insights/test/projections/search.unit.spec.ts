import { describe, expect, it } from 'vitest';
import { lexemesOf, tierQuery } from '../../src/projections/search.js';

describe("search's tier queries", () => {
  it("reads the lexemes of a tsquery's text once each, quotes and backslashes undone", () => {
    expect(lexemesOf(`( 'report' ) | ( 'report' & 'pukear' )`)).toEqual(['report', 'pukear']);
    expect(lexemesOf(`'o''neil' <-> 'a\\\\b'`)).toEqual(["o'neil", 'a\\b']);
    expect(lexemesOf('T')).toEqual([]);
  });

  it('names the tier of each lexeme, any of them: quotes and backslashes escaped again', () => {
    expect(tierQuery(['report', 'pukear'], 3)).toBe(`'report#3' | 'pukear#3'`);
    expect(tierQuery(["o'neil", 'a\\b'], 2)).toBe(`'o''neil#2' | 'a\\\\b#2'`);
    // what was read back is what was written
    expect(lexemesOf(tierQuery(["o'neil", 'a\\b'], 2))).toEqual(["o'neil#2", 'a\\b#2']);
  });
});
