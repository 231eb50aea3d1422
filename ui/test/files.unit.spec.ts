import { FileEventTypes } from '@strata/contracts/event-types';
import { describe, expect, it } from 'vitest';
import { type FileInfo, contentState, withLiveRehydration } from '../src/lib/files';

const file = (id: string, extra: Partial<FileInfo> = {}): FileInfo => ({
  id,
  name: `${id}.txt`,
  size: 1,
  contentType: 'text/plain',
  sha256: '0'.repeat(64),
  version: 1,
  revision: 3,
  tier: 'Archive',
  createdAt: '2026-08-01T00:00:00.000Z',
  updatedAt: '2026-08-01T00:00:00.000Z',
  rehydrating: false,
  rehydrationRequestedAt: null,
  folderId: null,
  starred: false,
  ...extra,
});

describe('the file list and archived content', () => {
  it('says archived, being restored, or ready', () => {
    expect(contentState(file('a'))).toBe('archived');
    expect(contentState(file('a', { rehydrating: true }))).toBe('restoring');
    expect(contentState(file('a', { tier: 'Hot' }))).toBe('ready');
    expect(contentState(file('a', { tier: 'Cool' }))).toBe('ready');
    // an older version being restored while the latest is hot: the file says so
    expect(contentState(file('a', { tier: 'Hot', rehydrating: true }))).toBe('restoring');
  });

  it('shows "being restored" and then "restored" live, from the events, on that file only', () => {
    const list = [file('a'), file('b')];
    const asked = withLiveRehydration(list, {
      type: FileEventTypes.FileRehydrationRequested,
      data: { fileId: 'a', ownerId: 'u', priority: 'Standard', requestedAt: '2026-12-01T10:00:00.000Z' },
    });
    expect(asked.map(contentState)).toEqual(['restoring', 'archived']);
    expect(asked[0]).toMatchObject({ rehydrationRequestedAt: '2026-12-01T10:00:00.000Z' });
    const back = withLiveRehydration(asked, {
      type: FileEventTypes.FileRehydrated,
      data: { fileId: 'a', ownerId: 'u', requestedAt: '2026-12-01T10:00:00.000Z', rehydratedAt: '2026-12-01T12:00:00.000Z' },
    });
    expect(back.map(contentState)).toEqual(['ready', 'archived']);
    expect(back[0]).toMatchObject({ tier: 'Hot', rehydrating: false, rehydrationRequestedAt: null });
    // a cool latest version stays cool when an older archived one comes back
    expect(withLiveRehydration([file('c', { tier: 'Cool', rehydrating: true })], { type: FileEventTypes.FileRehydrated, data: { fileId: 'c' } })[0]).toMatchObject({ tier: 'Cool', rehydrating: false });
  });

  it('leaves the list as it is for other events and other files', () => {
    const list = [file('a')];
    expect(withLiveRehydration(list, { type: FileEventTypes.FileRenamed, data: { fileId: 'a' } })).toBe(list);
    expect(withLiveRehydration(list, { type: FileEventTypes.FileRehydrated, data: { fileId: 'z' } })).toEqual(list);
    expect(withLiveRehydration(list, { type: FileEventTypes.FileRehydrated, data: {} })).toBe(list);
  });
});
