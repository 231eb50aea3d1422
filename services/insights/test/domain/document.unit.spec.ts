import { deciderSpec } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import { AlreadyQueuedError, DocumentNotFoundError, type NoteVersion, type RecordIndexed } from '../../src/domain/document/decide.js';
import type { DocumentEvent } from '../../src/domain/document/document.js';
import { documentDecider } from '../../src/streams.js';

const given = deciderSpec(documentDecider);
const t0 = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const owner = 'u1';
const doc = { fileId: 'f1', ownerId: owner };

const note = (version: number, name = 'report.pdf'): NoteVersion => ({
  type: 'NoteVersion',
  data: { ...doc, name, version, contentType: 'application/pdf', size: 100 * version, sha256: `h${version}`, createdAt: at(version).toISOString() },
});
const noted = (version: number, name = 'report.pdf'): DocumentEvent => ({ type: 'DocumentVersionNoted', data: { ...note(version, name).data } });
const reading = (version: number, tags: RecordIndexed['data']['tags'] = []): RecordIndexed => ({
  type: 'RecordIndexed',
  data: {
    version,
    extractorVersion: 1,
    format: 'pdf',
    language: 'eng',
    pages: 2,
    ocrPages: 0,
    chars: 1200,
    truncated: false,
    summary: 'An invoice.',
    keywords: ['invoice'],
    entities: [{ text: 'Acme Ltd', kind: 'organisation', count: 2 }],
    tags,
    now: at(10),
  },
});
const { tags: _tags, now: _now, ...readingData } = reading(1).data;
const indexed = (version: number): DocumentEvent => ({ type: 'DocumentIndexed', data: { ...doc, ...readingData, version, indexedAt: at(10).toISOString() } });
const failed = (version: number, transient: boolean, attempts = 1): DocumentEvent => ({
  type: 'DocumentIndexFailed',
  data: { ...doc, version, extractorVersion: 1, reason: transient ? 'unavailable' : 'corrupt', transient, attempts, failedAt: at(10).toISOString(), retryAt: transient ? at(11).toISOString() : null },
});
const trashed: DocumentEvent = { type: 'DocumentTrashed', data: { ...doc, trashedAt: at(20).toISOString() } };
const purged: DocumentEvent = { type: 'DocumentPurged', data: { ...doc, purgedAt: at(30).toISOString() } };
const invoiceTag = { name: 'invoice', source: 'rule' as const, why: 'says invoice, an amount and a due date' };

describe('document decider: files facts', () => {
  it('notes each version once, however often files.events delivers it', () => {
    given([]).when(note(1)).then([noted(1)]);
    given([noted(1)]).when(note(1)).then([]);
    given([noted(1)]).when(note(2, '')).then([noted(2, '')]);
  });

  it('names a document whose later version arrived before its upload', () => {
    given([noted(2, '')])
      .when(note(1))
      .then([noted(1), { type: 'DocumentRenamed', data: { ...doc, name: 'report.pdf', renamedAt: at(1).toISOString() } }]);
  });

  it("ignores another owner's facts about a file and anything after a purge", () => {
    given([noted(1)]).when({ type: 'NoteTrashed', data: { fileId: 'f1', ownerId: 'u2', at: at(5).toISOString() } }).then([]);
    given([noted(1), purged]).when(note(2)).then([]);
    given([noted(1), purged]).when(reading(1)).then([]);
  });

  it('keeps a purge that arrives before the upload, so the late upload notes nothing', () => {
    const purge = { type: 'NotePurged' as const, data: { ...doc, at: at(30).toISOString() } };
    given([]).when(purge).then([purged]);
    given([purged]).when(note(1)).then([]);
    given([purged]).when(purge).then([]);
  });

  it('trashes, restores and purges once each', () => {
    const trash = { type: 'NoteTrashed' as const, data: { ...doc, at: at(20).toISOString() } };
    given([noted(1)]).when(trash).then([trashed]);
    given([noted(1), trashed]).when(trash).then([]);
    given([noted(1), trashed]).when({ type: 'NoteRestored', data: { ...doc, at: at(25).toISOString() } }).then([{ type: 'DocumentRestored', data: { ...doc, restoredAt: at(25).toISOString() } }]);
    given([noted(1), trashed]).when({ type: 'NotePurged', data: { ...doc, at: at(30).toISOString() } }).then([purged]);
  });
});

describe('document decider: readings', () => {
  it('records a reading, and suggests tags only for the current version', () => {
    given([noted(1)])
      .when(reading(1, [invoiceTag]))
      .then([indexed(1), { type: 'DocumentTagsSuggested', data: { ...doc, version: 1, extractorVersion: 1, tags: [invoiceTag], suggestedAt: at(10).toISOString() } }]);
    given([noted(1), noted(2)]).when(reading(1, [invoiceTag])).then([indexed(1)]);
  });

  it('counts the attempts of failures', () => {
    const fail = { type: 'RecordIndexFailed' as const, data: { version: 1, extractorVersion: 1, reason: 'unavailable', transient: true, retryAt: at(11), now: at(10) } };
    given([noted(1)]).when(fail).then([failed(1, true, 1)]);
    given([noted(1), failed(1, true, 1)]).when(fail).then([failed(1, true, 2)]);
  });

  it('lets the owner ask for a failed or indexed version again, not one still waiting', () => {
    const retry = { type: 'RequestRetry' as const, data: { ownerId: owner, now: at(40) } };
    const requested: DocumentEvent = { type: 'DocumentIndexRetryRequested', data: { ...doc, version: 1, requestedAt: at(40).toISOString() } };
    given([noted(1), failed(1, false)]).when(retry).then([requested]);
    given([noted(1), indexed(1)]).when(retry).then([requested]);
    given([noted(1)]).when(retry).thenThrows(AlreadyQueuedError);
    const state = given([noted(1), failed(1, false), requested]).when({ type: 'NoteVersion', data: note(1).data }).thenState();
    expect(state.status === 'active' && state.versions[1]?.status).toBe('pending');
  });

  it("refuses another user's retry and tag decision as if there were no such file", () => {
    given([noted(1), failed(1, false)]).when({ type: 'RequestRetry', data: { ownerId: 'u2', now: at(40) } }).thenThrows(DocumentNotFoundError);
    given([noted(1), trashed]).when({ type: 'RequestRetry', data: { ownerId: owner, now: at(40) } }).thenThrows(DocumentNotFoundError);
    given([noted(1)]).when({ type: 'RequestRetry', data: { ownerId: owner, version: 9, now: at(40) } }).thenThrows(DocumentNotFoundError);
    const suggested: DocumentEvent = { type: 'DocumentTagsSuggested', data: { ...doc, version: 1, extractorVersion: 1, tags: [invoiceTag], suggestedAt: at(10).toISOString() } };
    given([noted(1), indexed(1), suggested]).when({ type: 'DecideTag', data: { ownerId: 'u2', name: 'invoice', accepted: true, now: at(41) } }).thenThrows(DocumentNotFoundError);
  });

  it('accepts or rejects a suggested tag, once; a new reading keeps the decision', () => {
    const suggested: DocumentEvent = { type: 'DocumentTagsSuggested', data: { ...doc, version: 1, extractorVersion: 1, tags: [invoiceTag], suggestedAt: at(10).toISOString() } };
    const decided: DocumentEvent = { type: 'DocumentTagDecided', data: { ...doc, name: 'invoice', accepted: false, decidedAt: at(41).toISOString() } };
    const decide = { type: 'DecideTag' as const, data: { ownerId: owner, name: 'invoice', accepted: false, now: at(41) } };
    given([noted(1), indexed(1), suggested]).when(decide).then([decided]);
    given([noted(1), indexed(1), suggested, decided]).when(decide).then([]);
    given([noted(1), indexed(1)]).when(decide).thenThrows(DocumentNotFoundError);
    // not a tag because every object has it
    given([noted(1), indexed(1), suggested]).when({ ...decide, data: { ...decide.data, name: 'constructor' } }).thenThrows(DocumentNotFoundError);
    const state = given([noted(1), indexed(1), suggested, decided, suggested]).when(note(1)).thenState();
    expect(state.status === 'active' && state.tags).toEqual({ invoice: false });
  });
});
