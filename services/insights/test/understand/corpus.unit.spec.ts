import { describe, expect, it } from 'vitest';
import { understand } from '../../src/understand/index.js';

// A generated corpus with planted names, to measure entity precision and recall beyond examples.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const GIVEN = ['Alice', 'Robert', 'Maria', 'Thomas', 'Hannah', 'Daniel', 'Sophie', 'Ahmed', 'Laura', 'Kevin'];
const SURNAMES = ['Fairbanks', 'Okonkwo', 'Lindqvist', 'Moreau', 'Castellano', 'Whitfield', 'Nakamura', 'Brennan'];
const TITLES = ['Dr.', 'Ms', 'Mr.', 'Prof.'];
const ORG_STEMS = ['Bluewater', 'Harrowgate', 'Kestrel', 'Northbrook', 'Silverline', 'Oakridge'];
const ORG_FORMS = ['Ltd', 'Inc.', 'GmbH', 'LLC', 'Bank', 'Council'];
const PLACES = ['Lisbon', 'Ohio', 'Kenya', 'Toronto', 'Norway', 'Chicago', 'Vienna', 'Peru'];
// Capitalised but none of the three kinds: the method must not label them.
const DECOYS = ['Project Falcon', 'Quarterly Review', 'Blue Team', 'Annual Budget', 'Red Rovers', 'Phase Two', 'Gold Plan'];

function document(next: () => number): { text: string; planted: Map<string, string> } {
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]!;
  const planted = new Map<string, string>();
  const sentences: string[] = [];
  for (let i = 0; i < 8; i += 1) {
    const person = `${pick(GIVEN)} ${pick(SURNAMES)}`;
    const titled = `${pick(TITLES)} ${pick(SURNAMES)}`;
    const org = `${pick(ORG_STEMS)} ${pick(ORG_FORMS)}`;
    const place = pick(PLACES);
    const decoy = pick(DECOYS);
    switch (Math.floor(next() * 4)) {
      case 0:
        sentences.push(`Yesterday ${person} met ${titled} at the ${decoy} kickoff in ${place}.`);
        planted.set(person, 'person').set(titled, 'person').set(place, 'place');
        break;
      case 1:
        sentences.push(`The ${decoy} was funded by ${org}, which opened an office in ${place}.`);
        planted.set(org, 'organisation').set(place, 'place');
        break;
      case 2:
        sentences.push(`According to ${person}, the ${decoy} slipped by two weeks.`);
        planted.set(person, 'person');
        break;
      default:
        sentences.push(`${decoy} notes: the team reviewed the figures with ${org} and agreed next steps.`);
        planted.set(org, 'organisation');
    }
  }
  return { text: sentences.join(' '), planted };
}

describe('entities over a generated corpus', () => {
  it('given 40 documents with planted people, organisations and places, then none is invented and nearly all are found', () => {
    const next = random(14);
    let found = 0;
    let plantedTotal = 0;
    for (let d = 0; d < 40; d += 1) {
      const { text, planted } = document(next);
      const names = understand({ text, name: 'doc.txt', language: 'eng' }).entities.filter((e) => ['person', 'organisation', 'place'].includes(e.kind));
      for (const entity of names) {
        // "Mr. Brennan" may be reported as written; it must be a planted name of that kind
        expect(planted.get(entity.text), `${entity.kind} "${entity.text}" in: ${text}`).toBe(entity.kind);
      }
      plantedTotal += planted.size;
      found += [...planted].filter(([name, kind]) => names.some((e) => e.text === name && e.kind === kind)).length;
    }
    expect(found / plantedTotal).toBeGreaterThanOrEqual(0.9);
  });
});
