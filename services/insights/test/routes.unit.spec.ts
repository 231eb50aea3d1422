import { FileEventTypes, FolderEventTypes, type PublishedFileEvent } from '@strata/contracts';
import { describe, expect, it } from 'vitest';
import { MARK_END, MARK_START, clean } from '../src/indexer/indexer.js';
import { markSnippet } from '../src/projections/search.js';
import { citedIn, promptOf } from '../src/routes/ask.js';
import { commandOf } from '../src/routes/dapr/file-events.js';

describe('snippets', () => {
  it('are escaped text but for the marks ts_headline put in', () => {
    expect(markSnippet(`a <script>alert("x")</script> & ${MARK_START}invoice${MARK_END} 'due'`)).toBe(
      'a &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <mark>invoice</mark> &#39;due&#39;',
    );
  });

  it('cannot be fooled by a document that writes the marks itself: stored text holds no sentinels', () => {
    const hostile = `<mark>x</mark> ${MARK_START}y${MARK_END} \u0000`;
    const stored = clean(hostile);
    expect(stored).not.toContain(MARK_START);
    expect(stored).not.toContain(MARK_END);
    expect(markSnippet(stored)).toBe('&lt;mark&gt;x&lt;/mark&gt;  y   ');
  });

  it('keeps well-formed text as it is and replaces lone surrogates', () => {
    expect(clean('Grüße 👋 done')).toBe('Grüße 👋 done');
    expect(clean('a\uD800b')).toBe('a\uFFFDb');
  });
});

describe('answers from a model', () => {
  const passages = [1, 2, 3].map((i) => ({ fileId: `f${i}`, name: `doc${i}.pdf`, version: 1, idx: 0, page: i, text: `passage ${i}`, rank: 1 }));

  it('number the passages in the prompt with their file, version and page', () => {
    expect(promptOf('what?', passages)).toContain('[2] doc2.pdf (version 1, page 2):\npassage 2');
  });

  it('cite what the model cites, or every passage it was given when it cites none', () => {
    expect(citedIn('It is so [2], and [3].', passages).map((p) => p.fileId)).toEqual(['f2', 'f3']);
    expect(citedIn('It is so [9].', passages)).toHaveLength(3);
    expect(citedIn('No citation.', passages)).toHaveLength(3);
  });
});

describe("files' events", () => {
  const base = { fileId: 'f1', ownerId: 'u1' };
  it('become the commands that note them; those insights does not need become none', () => {
    const uploaded: PublishedFileEvent = {
      type: FileEventTypes.FileUploaded,
      schemaVersion: 1,
      data: { ...base, name: 'a.pdf', via: 'multipart', version: 1, size: 3, contentType: 'application/pdf', sha256: 'h', createdAt: '2026-12-01T10:00:00.000Z' },
    };
    expect(commandOf(uploaded)).toEqual({ type: 'NoteVersion', data: { ...base, name: 'a.pdf', version: 1, contentType: 'application/pdf', size: 3, sha256: 'h', createdAt: '2026-12-01T10:00:00.000Z' } });
    expect(commandOf({ type: FileEventTypes.FileTrashed, schemaVersion: 1, data: { ...base, trashedAt: 't' } })).toEqual({ type: 'NoteTrashed', data: { ...base, at: 't' } });
    expect(commandOf({ type: FileEventTypes.FileShared, schemaVersion: 1, data: { ...base, clientId: 'c', sharedAt: 't' } })).toBeUndefined();
  });

  it("ignore where a file is, stars and the folders themselves: a folder's trash comes as each file's FileTrashed", () => {
    expect(commandOf({ type: FileEventTypes.FileMoved, schemaVersion: 1, data: { ...base, from: null, to: 'd1', movedAt: 't' } })).toBeUndefined();
    expect(commandOf({ type: FileEventTypes.FileStarred, schemaVersion: 1, data: { ...base, starredAt: 't' } })).toBeUndefined();
    for (const type of Object.values(FolderEventTypes)) {
      expect(commandOf({ type, schemaVersion: 1, data: { folderId: 'd1', ownerId: 'u1' } } as never), type).toBeUndefined();
    }
    // the folder's trash as insights receives it: one FileTrashed per file inside
    expect(commandOf({ type: FileEventTypes.FileTrashed, schemaVersion: 1, data: { ...base, trashedAt: 't' } })?.type).toBe('NoteTrashed');
  });
});
