import { Value } from '@sinclair/typebox/value';
import { FileEventSchemas, FileEventTypes } from '@strata/contracts';
import type { EventMetadata, RecordedEvent } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import type { FileCommand } from '../src/domain/file/decide.js';
import type { FileEvent, FileUploaded } from '../src/domain/file/file.js';
import { toPublished } from '../src/published.js';
import type { FolderCommand } from '../src/domain/folder/decide.js';
import type { FolderEvent } from '../src/domain/folder/folder.js';
import { fileDecider, folderDecider } from '../src/streams.js';
import { FolderEventTypes } from '@strata/contracts';

const t0 = new Date('2026-11-25T10:00:00Z');
const content = { versionId: 'v1', blobName: 'u1/f1/v1', size: 10, contentType: 'application/pdf', sha256: 'h1' };

/** As the log hands an event to the relay. */
const metadata: EventMetadata = { actor: 'user:u1', address: '203.0.113.5', userAgent: 'curl/8' };
const recorded = <E extends FileEvent>(event: E, streamVersion = 1): RecordedEvent<E> => ({
  ...event,
  id: `e-${streamVersion}`,
  schemaVersion: 1,
  streamId: 'file-f1',
  streamVersion,
  globalPosition: streamVersion,
  transactionId: '1',
  occurredAt: t0,
  metadata,
});

describe('files.events: what is published of each domain event', () => {
  // a file's whole life, as the decider tells it: every kind of event
  const events: FileEvent[] = [];
  const commands: FileCommand[] = [
    { type: 'UploadFile', data: { fileId: 'f1', ownerId: 'u1', name: 'a.pdf', via: 'tus', content, now: t0 } },
    { type: 'AddVersion', data: { ownerId: 'u1', content: { ...content, versionId: 'v2', blobName: 'u1/f1/v2' }, now: t0 } },
    // version 3 restores version 1: its blob, u1/f1/v1, stays in the log
    { type: 'RestoreVersion', data: { ownerId: 'u1', version: 1, versionId: 'v3', now: t0 } },
    { type: 'LabelVersion', data: { ownerId: 'u1', version: 1, label: 'signed', now: t0 } },
    { type: 'DeleteVersion', data: { ownerId: 'u1', version: 2, now: t0 } },
    { type: 'RenameFile', data: { ownerId: 'u1', name: 'b.pdf', now: t0 } },
    { type: 'ShareFile', data: { ownerId: 'u1', clientId: 'acme', now: t0 } },
    { type: 'UnshareFile', data: { ownerId: 'u1', clientId: 'acme', now: t0 } },
    { type: 'StarFile', data: { ownerId: 'u1', now: t0 } },
    { type: 'UnstarFile', data: { ownerId: 'u1', now: t0 } },
    {
      type: 'MoveFile',
      data: { ownerId: 'u1', place: { parentId: 'd1', parentLive: true, parentDepth: 1, chain: ['d1'], entries: 0, taken: [] }, limits: { maxDepth: 32, maxEntries: 10 }, now: t0 },
    },
    { type: 'ChangeTier', data: { ownerId: 'u1', to: 'Cool', now: t0 } },
    { type: 'ChangeTier', data: { ownerId: 'u1', to: 'Archive', now: t0 } },
    { type: 'RequestRehydration', data: { ownerId: 'u1', priority: 'High', now: t0 } },
    { type: 'CompleteRehydration', data: { ownerId: 'u1', now: t0 } },
    { type: 'TrashFile', data: { ownerId: 'u1', now: t0 } },
    { type: 'RestoreFile', data: { ownerId: 'u1', now: t0 } },
    { type: 'TrashFile', data: { ownerId: 'u1', now: t0 } },
    { type: 'PurgeFile', data: { ownerId: 'u1', reason: 'user', now: t0 } },
  ];
  for (const command of commands) {
    const state = events.reduce(fileDecider.evolve, fileDecider.initialState);
    events.push(...fileDecider.decide(command, state));
  }

  it('maps every kind of event to its v1 contract, exactly (no member the schema does not name)', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(Object.values(FileEventTypes)));
    for (const [i, event] of events.entries()) {
      const published = toPublished(recorded(event, i + 1));
      expect(published.type).toBe(event.type);
      const schema = FileEventSchemas[published.type][published.schemaVersion];
      expect(Value.Check(schema, published.data), `${event.type}: ${JSON.stringify([...Value.Errors(schema, published.data)])}`).toBe(true);
    }
  });

  it('keeps blob names, version ids and the caller’s address out', () => {
    for (const [i, event] of events.entries()) {
      const text = JSON.stringify(toPublished(recorded(event, i + 1)));
      for (const leak of ['u1/f1/v1', '"v1"', 'blobName', 'versionId', 'blobNames', '203.0.113.5', 'curl/8']) expect(text, event.type).not.toContain(leak);
    }
  });

  it('leaves out a member a domain event gains until the mapping names it, and an old event’s address', () => {
    const uploaded = events[0] as FileUploaded;
    // what a newer domain event might carry (a hash) and what older ones did carry (the address)
    const grown = { ...uploaded, data: { ...uploaded.data, contentHashKey: 'secret', address: '198.51.100.1' } };
    const published = toPublished(recorded(grown));
    expect(published.data).not.toHaveProperty('contentHashKey');
    expect(published.data).not.toHaveProperty('address');
    expect(published).toEqual(toPublished(recorded(uploaded)));
  });

  it('replays an old event that still holds the address in its data: the state keeps none of it', () => {
    const uploaded = events[0] as FileUploaded;
    const old = { ...uploaded, data: { ...uploaded.data, address: '198.51.100.1' } };
    const state = fileDecider.evolve(fileDecider.initialState, old);
    expect(state).toEqual(fileDecider.evolve(fileDecider.initialState, uploaded));
    expect(JSON.stringify(state)).not.toContain('198.51.100.1');
  });
});

describe('files.events: what is published of each folder event', () => {
  const root = { parentId: null, parentLive: true, parentDepth: 0, chain: [], entries: 0, taken: [] };
  const limits = { maxDepth: 32, maxEntries: 10 };
  const events: FolderEvent[] = [];
  const commands: FolderCommand[] = [
    { type: 'CreateFolder', data: { folderId: 'd1', ownerId: 'u1', name: 'Plans', place: root, limits, now: t0 } },
    { type: 'MoveFolder', data: { ownerId: 'u1', place: { ...root, parentId: 'd0', parentDepth: 1, chain: ['d0'] }, name: 'Plans 2027', height: 0, limits, now: t0 } },
    { type: 'StarFolder', data: { ownerId: 'u1', now: t0 } },
    { type: 'UnstarFolder', data: { ownerId: 'u1', now: t0 } },
    { type: 'TrashFolder', data: { ownerId: 'u1', withFolderId: 'd0', now: t0 } },
    { type: 'RestoreFolder', data: { ownerId: 'u1', taken: [], now: t0 } },
  ];
  for (const command of commands) events.push(...folderDecider.decide(command, events.reduce(folderDecider.evolve, folderDecider.initialState)));

  it('maps every kind of folder event to its v1 contract, exactly', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(Object.values(FolderEventTypes)));
    for (const [i, event] of events.entries()) {
      const published = toPublished({ ...event, id: `e-${i}`, schemaVersion: 1, streamId: 'folder-d1', streamVersion: i + 1, globalPosition: i + 1, transactionId: '1', occurredAt: t0, metadata });
      expect(published.type).toBe(event.type);
      const schema = FileEventSchemas[published.type][published.schemaVersion];
      expect(Value.Check(schema, published.data), `${event.type}: ${JSON.stringify([...Value.Errors(schema, published.data)])}`).toBe(true);
      expect(JSON.stringify(published)).not.toContain('203.0.113.5');
    }
  });
});
