import { InsightsEventTypes } from '@strata/contracts/event-types';
import { describe, expect, it } from 'vitest';
import {
  type Entity,
  asFileType,
  concernsInsights,
  groupEntities,
  modeLabel,
  searchQuery,
  snippetParts,
  statusLabel,
  tagState,
  unescapeHtml,
} from '../src/lib/insights';

describe('a search snippet split into text and marks', () => {
  it('marks only what the server put between <mark> and </mark>', () => {
    expect(snippetParts('the <mark>planted</mark> phrase and <mark>more</mark>')).toEqual([
      { text: 'the ', mark: false },
      { text: 'planted', mark: true },
      { text: ' phrase and ', mark: false },
      { text: 'more', mark: true },
    ]);
  });

  it('gives back the characters of escaped markup as text, so a <script> in a document stays text', () => {
    const parts = snippetParts('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>secret</mark> &amp; &#39;quoted&#39;');
    expect(parts).toEqual([
      { text: '<script>alert("x")</script> ', mark: false },
      { text: 'secret', mark: true },
      { text: " & 'quoted'", mark: false },
    ]);
    // nothing in it is an element: the page builds text nodes of these strings
    expect(parts.every((p) => typeof p.text === 'string')).toBe(true);
  });

  it('does not read an escaped mark as a mark', () => {
    expect(snippetParts('&lt;mark&gt;not a match&lt;/mark&gt;')).toEqual([{ text: '<mark>not a match</mark>', mark: false }]);
  });

  it('reads a real tag that is not a mark as text', () => {
    expect(snippetParts('<b>bold</b> <img src=x onerror=alert(1)>')).toEqual([{ text: '<b>bold</b> <img src=x onerror=alert(1)>', mark: false }]);
  });

  it('survives broken marks: a stray close ends nothing, an open one marks to the end, doubled ones merge', () => {
    expect(snippetParts('a</mark>b')).toEqual([{ text: 'ab', mark: false }]);
    expect(snippetParts('a<mark>b')).toEqual([
      { text: 'a', mark: false },
      { text: 'b', mark: true },
    ]);
    expect(snippetParts('<mark><mark>x</mark></mark>')).toEqual([{ text: 'x', mark: true }]);
    expect(snippetParts('<MARK>x</Mark>')).toEqual([{ text: 'x', mark: true }]);
    expect(snippetParts('')).toEqual([]);
    expect(snippetParts('<mark></mark>')).toEqual([]);
  });

  it('splits a long snippet without trouble', () => {
    const long = '<mark>a</mark> b '.repeat(20_000);
    const parts = snippetParts(long);
    expect(parts).toHaveLength(40_000);
    expect(parts.filter((p) => p.mark)).toHaveLength(20_000);
  });
});

describe('unescaping', () => {
  it('reads named and numeric references, and leaves unknown or impossible ones as they are', () => {
    expect(unescapeHtml('&lt;&gt;&amp;&quot;&apos;&#60;&#x3C;&#X3c;')).toBe('<>&"\'<<<');
    expect(unescapeHtml('&nbsp;&bogus; &#0; &#xD800; &#x110000; & alone')).toBe('&nbsp;&bogus; &#0; &#xD800; &#x110000; & alone');
    // escaped twice stays escaped once: one level is read, never more
    expect(unescapeHtml('&amp;lt;script&amp;gt;')).toBe('&lt;script&gt;');
  });
});

describe('the search query', () => {
  it('leaves out empty filters, trims the words and turns a year into its first and last day', () => {
    expect(searchQuery('  planted phrase ', {})).toEqual({ q: 'planted phrase' });
    expect(searchQuery('x', { type: 'text', tag: 'invoice', year: '2026' }, 'next')).toEqual({
      q: 'x',
      type: 'text',
      tag: 'invoice',
      from: '2026-01-01',
      to: '2026-12-31',
      cursor: 'next',
    });
    expect(searchQuery('x', { year: 'soon' }, null)).toEqual({ q: 'x' });
  });

  it('takes only the type facets it knows as a type filter', () => {
    expect(asFileType('pdf')).toBe('pdf');
    expect(asFileType('spaceship')).toBeUndefined();
  });
});

describe('the file panel', () => {
  it('says where the reading is', () => {
    expect(statusLabel({ status: 'pending' })).toBe('Reading…');
    expect(statusLabel({ status: 'indexed' })).toBe('Indexed');
    expect(statusLabel({ status: 'failed', reason: 'encrypted', transient: false })).toBe('Could not read: the file is protected by a password');
    expect(statusLabel({ status: 'failed', reason: 'unavailable', transient: true })).toBe('Could not read: the file could not be fetched just now (Strata will try again by itself)');
    expect(statusLabel({ status: 'failed', reason: 'something-new' })).toBe('Could not read: something-new');
    expect(statusLabel({ status: 'failed' })).toBe('Could not read: unknown error');
  });

  it('groups entities by kind in a fixed order, the most mentioned first', () => {
    const entities: Entity[] = [
      { text: 'Paris', kind: 'place', count: 1 },
      { text: 'Ada Lovelace', kind: 'person', count: 2 },
      { text: 'Berlin', kind: 'place', count: 3 },
      { text: 'Alan Turing', kind: 'person', count: 2 },
    ];
    expect(groupEntities(entities)).toEqual([
      { kind: 'person', label: 'People', entities: [entities[1], entities[3]] },
      { kind: 'place', label: 'Places', entities: [entities[2], entities[0]] },
    ]);
    expect(groupEntities([])).toEqual([]);
  });

  it('tells suggested, accepted and rejected tags apart', () => {
    expect(tagState({ accepted: null })).toBe('suggested');
    expect(tagState({ accepted: true })).toBe('accepted');
    expect(tagState({ accepted: false })).toBe('rejected');
  });

  it('reloads on this file’s insights events only', () => {
    const fileId = 'f1';
    expect(concernsInsights({ type: InsightsEventTypes.DocumentIndexed, data: { fileId } }, fileId)).toBe(true);
    expect(concernsInsights({ type: InsightsEventTypes.DocumentIndexFailed, data: { fileId } }, fileId)).toBe(true);
    expect(concernsInsights({ type: InsightsEventTypes.DocumentTagsSuggested, data: { fileId } }, fileId)).toBe(true);
    expect(concernsInsights({ type: InsightsEventTypes.DocumentIndexed, data: { fileId: 'f2' } }, fileId)).toBe(false);
    expect(concernsInsights({ type: 'FileRenamed', data: { fileId } }, fileId)).toBe(false);
    expect(concernsInsights({ type: InsightsEventTypes.DocumentIndexed, data: {} }, fileId)).toBe(false);
  });
});

describe('an answer', () => {
  it('says plainly whether a model wrote it', () => {
    expect(modeLabel('extractive')).toBe('Extractive: the best passages from your documents, no AI model');
    expect(modeLabel('model')).toBe('Answered by the model');
  });
});

describe('languageLabel', () => {
  it('names a detected language in words, and says when none was', async () => {
    const { languageLabel } = await import('../src/lib/insights.js');
    expect(languageLabel('eng')).toBe('English');
    expect(languageLabel('deu')).toBe('German');
    expect(languageLabel(null)).toBe('not recognised');
    expect(languageLabel('und')).toBe('not recognised');
    expect(languageLabel('not a code!')).toBe('not a code!');
  });
});
