import { describe, expect, it } from 'vitest';
import { FileEventSchemas, FileEventTypes, FolderEventTypes, SessionEventSchemas, ShareEventTypes, SessionEventTypes, isFileEventType, isFolderEventType, readPublished } from '../src/index.js';

const trashed = { fileId: 'f-1', ownerId: 'u-1', trashedAt: '2026-01-02T03:04:05.000Z' };

describe('published event contracts', () => {
  it('name every published type once, as its own value, with a v1 schema for each', () => {
    // files.events carries the files' events, the folders', and the shares' and links'
    for (const [types, schemas] of [[{ ...FileEventTypes, ...FolderEventTypes, ...ShareEventTypes }, FileEventSchemas], [SessionEventTypes, SessionEventSchemas]] as const) {
      for (const [key, value] of Object.entries(types)) expect(value).toBe(key);
      expect(Object.keys(schemas).sort()).toEqual(Object.values(types).sort());
      for (const versions of Object.values(schemas)) expect(Object.keys(versions)).toEqual(['1']);
    }
  });

  it('read a delivered event by its type and version, typed', () => {
    const event = readPublished(FileEventSchemas, { type: 'FileTrashed', schemaversion: 1, data: trashed });
    expect(event).toEqual({ type: 'FileTrashed', schemaVersion: 1, data: trashed });
    if (event?.type !== 'FileTrashed') throw new Error('not read');
    expect(event.data.ownerId).toBe('u-1');
    // events published before versions travelled are v1
    expect(readPublished(FileEventSchemas, { type: 'FileTrashed', data: trashed })?.schemaVersion).toBe(1);
  });

  it('drop members a schema does not name, as a tolerant reader, and refuse what does not fit', () => {
    const delivered = { type: 'FileTrashed', schemaversion: 1, data: { ...trashed, address: '203.0.113.5' } };
    expect(readPublished(FileEventSchemas, delivered)?.data).toEqual(trashed);
    expect(delivered.data.address).toBe('203.0.113.5');
    expect(readPublished(FileEventSchemas, { type: 'FileTrashed', schemaversion: 2, data: trashed })).toBeUndefined();
    expect(readPublished(FileEventSchemas, { type: 'FileTrashed', schemaversion: '1', data: trashed })).toBeUndefined();
    expect(readPublished(FileEventSchemas, { type: 'FileVanished', data: trashed })).toBeUndefined();
    expect(readPublished(FileEventSchemas, { type: 'FileTrashed', data: { fileId: 'f-1' } })).toBeUndefined();
    expect(readPublished(FileEventSchemas, { type: 'FileTrashed', data: null })).toBeUndefined();
    // a type of another topic is not one of this topic's
    expect(readPublished(FileEventSchemas, { type: 'SessionRevoked', data: trashed })).toBeUndefined();
  });

  it('tell file event types from others', () => {
    expect(isFileEventType(FileEventTypes.FilePurged)).toBe(true);
    expect(isFileEventType(SessionEventTypes.SessionStarted)).toBe(false);
    expect(isFileEventType('File')).toBe(false);
    expect(isFileEventType(FolderEventTypes.FolderTrashed)).toBe(false);
    expect(isFolderEventType(FolderEventTypes.FolderTrashed)).toBe(true);
    expect(isFolderEventType(FileEventTypes.FileMoved)).toBe(false);
  });
});
