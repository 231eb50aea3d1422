import { deciderSpec } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import type { FileEvent } from '../../src/domain/file/file.js';
import { InvalidNameError, MAX_NAME_LENGTH, freeName, nameKey } from '../../src/domain/file/names.js';
import type { FolderEvent } from '../../src/domain/folder/folder.js';
import {
  FolderCycleError,
  FolderExistsError,
  FolderFullError,
  FolderNotFoundError,
  FolderNotInTrashError,
  FolderTooDeepError,
  NameTakenError,
  type Place,
} from '../../src/domain/folder/place.js';
import { fileDecider, folderDecider } from '../../src/streams.js';

const given = deciderSpec(folderDecider);
const givenFile = deciderSpec(fileDecider);
const t0 = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const owner = 'u1';
const limits = { maxDepth: 4, maxEntries: 3 };

/** A place as the tree would report it: the root unless a parent is named. */
const place = (p: Partial<Place> = {}): Place => ({ parentId: null, parentLive: true, parentDepth: 0, chain: [], entries: 0, taken: [], ...p });
/** A live folder `parent` at depth `depth`, its chain up to the root. */
const inFolder = (parent: string, chain: string[], p: Partial<Place> = {}) => place({ parentId: parent, parentDepth: chain.length, chain, ...p });

const created = (folderId: string, name: string, parentId: string | null, minutes = 0): FolderEvent => ({
  type: 'FolderCreated',
  data: { folderId, ownerId: owner, name, parentId, createdAt: at(minutes).toISOString() },
});
const create = (name: string, p: Place, folderId = 'd1') => ({ type: 'CreateFolder' as const, data: { folderId, ownerId: owner, name, place: p, limits, now: t0 } });
const move = (p: Place, extra: { height?: number; name?: string } = {}) => ({
  type: 'MoveFolder' as const,
  data: { ownerId: owner, place: p, height: extra.height ?? 0, limits, now: at(1), ...(extra.name ? { name: extra.name } : {}) },
});

describe('folder decider: names', () => {
  it('creates a folder at the root or in a live parent, with the name normalised to NFC', () => {
    given([]).when(create('Reports', place())).then([created('d1', 'Reports', null)]);
    given([]).when(create('Q1', inFolder('d0', ['d0']))).then([created('d1', 'Q1', 'd0')]);
    // "Cafe" + combining acute is stored as the precomposed "Café"
    given([]).when(create('Cafe\u0301', place())).then([created('d1', 'Café', null)]);
    given([created('d1', 'x', null)]).when(create('y', place())).thenThrows(FolderExistsError);
  });

  it('treats names as equal case-insensitively after NFC, whichever form was typed', () => {
    expect(nameKey('Café')).toBe(nameKey('CAFE\u0301'));
    expect(nameKey('Straße')).toBe(nameKey('STRASSE'));
    expect(nameKey('ǅ')).toBe(nameKey('ǆ'));
    expect(nameKey('a.txt')).not.toBe(nameKey('a.txt '));
    given([]).when(create('café', place({ taken: [nameKey('CAFE\u0301')] }))).thenThrows(NameTakenError, (e) => e.takenName === 'café');
  });

  it('refuses names a file could not have either', () => {
    for (const bad of ['', ' ', 'a/b', '..', 'x\u202Egnp', ' lead']) given([]).when(create(bad, place())).thenThrows(InvalidNameError);
    given([]).when(create('x'.repeat(MAX_NAME_LENGTH + 1), place())).thenThrows(InvalidNameError);
  });

  it('renames within its folder unless the name is taken; another case of its own name is a rename', () => {
    const history = [created('d1', 'Reports', null)];
    given(history)
      .when({ type: 'RenameFolder', data: { ownerId: owner, name: 'reports', taken: [], now: at(1) } })
      .then([{ type: 'FolderRenamed', data: { folderId: 'd1', ownerId: owner, from: 'Reports', to: 'reports', renamedAt: at(1).toISOString() } }]);
    given(history).when({ type: 'RenameFolder', data: { ownerId: owner, name: 'Reports', taken: [], now: at(1) } }).then([]);
    given(history).when({ type: 'RenameFolder', data: { ownerId: owner, name: 'ARCHIVE', taken: [nameKey('archive')], now: at(1) } }).thenThrows(NameTakenError);
  });

  it('keeps both with a numbered name that stays within the length limit', () => {
    expect(freeName('a.txt', new Set([nameKey('A.TXT')]), 'file')).toBe('a (2).txt');
    expect(freeName('a.txt', new Set([nameKey('a.txt'), nameKey('a (2).txt')]), 'file')).toBe('a (3).txt');
    expect(freeName('v1.2', new Set([nameKey('v1.2')]), 'folder')).toBe('v1.2 (2)');
    expect(freeName('.env', new Set([nameKey('.env')]), 'file')).toBe('.env (2)');
    expect(freeName('free.txt', new Set([nameKey('a.txt')]), 'file')).toBe('free.txt');
    const long = `${'n'.repeat(MAX_NAME_LENGTH - 4)}.pdf`;
    const next = freeName(long, new Set([nameKey(long)]), 'file');
    expect([...next].length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect(next.endsWith(' (2).pdf')).toBe(true);
  });
});

describe('folder decider: the tree', () => {
  it('refuses a parent that is not a live folder of the owner as not found', () => {
    given([]).when(create('x', inFolder('d0', ['d0'], { parentLive: false }))).thenThrows(FolderNotFoundError);
    // someone else's folder is not found either
    given([created('d1', 'x', null)]).when({ type: 'RenameFolder', data: { ownerId: 'u2', name: 'y', taken: [], now: at(1) } }).thenThrows(FolderNotFoundError);
  });

  it('limits the depth, counting the levels below a moved folder', () => {
    // maxDepth 4: a parent at depth 3 takes a child (depth 4), one at depth 4 does not
    given([]).when(create('ok', inFolder('c', ['c', 'b', 'a']))).then([created('d1', 'ok', 'c')]);
    given([]).when(create('deep', inFolder('d', ['d', 'c', 'b', 'a']))).thenThrows(FolderTooDeepError, (e) => e.maxDepth === 4);
    const history = [created('d1', 'm', null)];
    given(history).when(move(inFolder('b', ['b', 'a']), { height: 1 })).then([
      { type: 'FolderMoved', data: { folderId: 'd1', ownerId: owner, from: null, to: 'b', movedAt: at(1).toISOString() } },
    ]);
    given(history).when(move(inFolder('b', ['b', 'a']), { height: 2 })).thenThrows(FolderTooDeepError);
  });

  it('limits the entries of a folder, never of the root', () => {
    given([]).when(create('x', inFolder('d0', ['d0'], { entries: 2 }))).then([created('d1', 'x', 'd0')]);
    given([]).when(create('x', inFolder('d0', ['d0'], { entries: 3 }))).thenThrows(FolderFullError, (e) => e.maxEntries === 3);
    given([]).when(create('x', place({ entries: 10_000 }))).then([created('d1', 'x', null)]);
  });

  it('never moves a folder into itself or below itself', () => {
    const history = [created('d1', 'top', null)];
    given(history).when(move(inFolder('d1', ['d1']))).thenThrows(FolderCycleError);
    // a descendant's chain up to the root passes through the folder moved
    given(history).when(move(inFolder('d3', ['d3', 'd2', 'd1']))).thenThrows(FolderCycleError);
    given(history).when(move(inFolder('d9', ['d9']))).then([{ type: 'FolderMoved', data: { folderId: 'd1', ownerId: owner, from: null, to: 'd9', movedAt: at(1).toISOString() } }]);
  });

  it('checks the name it arrives with where it goes, and renames in the same command', () => {
    const history = [created('d1', 'Plans', null)];
    given(history).when(move(inFolder('d9', ['d9'], { taken: [nameKey('plans')] }))).thenThrows(NameTakenError);
    given(history)
      .when(move(inFolder('d9', ['d9'], { taken: [nameKey('plans')] }), { name: 'Plans 2027' }))
      .then([
        { type: 'FolderMoved', data: { folderId: 'd1', ownerId: owner, from: null, to: 'd9', movedAt: at(1).toISOString() } },
        { type: 'FolderRenamed', data: { folderId: 'd1', ownerId: owner, from: 'Plans', to: 'Plans 2027', renamedAt: at(1).toISOString() } },
      ]);
    // staying where it is: nothing to say
    given(history).when(move(place())).then([]);
  });
});

describe('folder decider: trash and restore', () => {
  const trashed: FolderEvent = { type: 'FolderTrashed', data: { folderId: 'd1', ownerId: owner, trashedAt: at(2).toISOString() } };

  it('trashes a live folder, marking what went along with another', () => {
    const history = [created('d1', 'x', null)];
    given(history).when({ type: 'TrashFolder', data: { ownerId: owner, now: at(2) } }).then([trashed]);
    given(history)
      .when({ type: 'TrashFolder', data: { ownerId: owner, withFolderId: 'd0', now: at(2) } })
      .then([{ type: 'FolderTrashed', data: { folderId: 'd1', ownerId: owner, trashedAt: at(2).toISOString(), withFolderId: 'd0' } }]);
    given([...history, trashed]).when({ type: 'TrashFolder', data: { ownerId: owner, now: at(3) } }).thenThrows(FolderNotFoundError);
    const state = given(history).when({ type: 'TrashFolder', data: { ownerId: owner, withFolderId: 'd0', now: at(2) } }).thenState();
    expect(state.status === 'trashed' && state.trashedWith).toBe('d0');
  });

  it('restores only what is in the trash; a name taken meanwhile needs a free one (keep both)', () => {
    const history = [created('d1', 'x', null), trashed];
    const restored: FolderEvent = { type: 'FolderRestored', data: { folderId: 'd1', ownerId: owner, restoredAt: at(3).toISOString() } };
    given(history).when({ type: 'RestoreFolder', data: { ownerId: owner, taken: [], now: at(3) } }).then([restored]);
    given(history).when({ type: 'RestoreFolder', data: { ownerId: owner, taken: [nameKey('X')], now: at(3) } }).thenThrows(NameTakenError);
    given(history)
      .when({ type: 'RestoreFolder', data: { ownerId: owner, taken: [nameKey('X')], rename: 'x (2)', now: at(3) } })
      .then([restored, { type: 'FolderRenamed', data: { folderId: 'd1', ownerId: owner, from: 'x', to: 'x (2)', renamedAt: at(3).toISOString() } }]);
    given(history).when({ type: 'RestoreFolder', data: { ownerId: owner, taken: [nameKey('X')], rename: 'X', now: at(3) } }).thenThrows(NameTakenError);
    given([created('d1', 'x', null)]).when({ type: 'RestoreFolder', data: { ownerId: owner, taken: [], now: at(3) } }).thenThrows(FolderNotInTrashError);
    given(history).when({ type: 'RestoreFolder', data: { ownerId: 'u2', taken: [], now: at(3) } }).thenThrows(FolderNotFoundError);
  });

  it('stars once and unstars once, only outside the trash', () => {
    const history = [created('d1', 'x', null)];
    const starred: FolderEvent = { type: 'FolderStarred', data: { folderId: 'd1', ownerId: owner, starredAt: at(1).toISOString() } };
    given(history).when({ type: 'StarFolder', data: { ownerId: owner, now: at(1) } }).then([starred]);
    given([...history, starred]).when({ type: 'StarFolder', data: { ownerId: owner, now: at(2) } }).then([]);
    given([...history, starred])
      .when({ type: 'UnstarFolder', data: { ownerId: owner, now: at(2) } })
      .then([{ type: 'FolderUnstarred', data: { folderId: 'd1', ownerId: owner, unstarredAt: at(2).toISOString() } }]);
    given(history).when({ type: 'UnstarFolder', data: { ownerId: owner, now: at(2) } }).then([]);
    given([...history, trashed]).when({ type: 'StarFolder', data: { ownerId: owner, now: at(3) } }).thenThrows(FolderNotFoundError);
  });
});

describe('file decider: folders', () => {
  const content = { versionId: 'v1', blobName: 'u1/f1/v1', size: 10, contentType: 'text/plain', sha256: 'h1' };
  const uploaded = (name: string, folderId?: string): FileEvent => ({
    type: 'FileUploaded',
    data: { fileId: 'f1', ownerId: owner, name, via: 'multipart', ...content, version: 1, createdAt: t0.toISOString(), ...(folderId ? { folderId } : {}) },
  });
  const upload = (name: string, p?: Place) => ({
    type: 'UploadFile' as const,
    data: { fileId: 'f1', ownerId: owner, name, via: 'multipart' as const, content, now: t0, ...(p ? { place: p, limits } : {}) },
  });

  it('uploads into a live folder, keeping both names when one is taken there', () => {
    givenFile([]).when(upload('a.txt', inFolder('d1', ['d1']))).then([uploaded('a.txt', 'd1')]);
    givenFile([]).when(upload('A.txt', inFolder('d1', ['d1'], { taken: [nameKey('a.txt')] }))).then([uploaded('A (2).txt', 'd1')]);
    givenFile([]).when(upload('a.txt', inFolder('d1', ['d1'], { parentLive: false }))).thenThrows(FolderNotFoundError);
    givenFile([]).when(upload('a.txt', inFolder('d1', ['d1'], { entries: 3 }))).thenThrows(FolderFullError);
    // at the root, as before folders: no folderId in the event
    givenFile([]).when(upload('a.txt', place())).then([uploaded('a.txt')]);
    const state = givenFile([]).when(upload('a.txt', inFolder('d1', ['d1']))).thenState();
    expect(state.status === 'active' && state.folderId).toBe('d1');
  });

  it('moves a file into another folder, under a new name if asked, and refuses a taken name', () => {
    const history = [uploaded('a.txt')];
    const moveFile = (p: Place, name?: string) => ({ type: 'MoveFile' as const, data: { ownerId: owner, place: p, limits, now: at(1), ...(name ? { name } : {}) } });
    const moved: FileEvent = { type: 'FileMoved', data: { fileId: 'f1', ownerId: owner, from: null, to: 'd1', movedAt: at(1).toISOString() } };
    givenFile(history).when(moveFile(inFolder('d1', ['d1']))).then([moved]);
    givenFile(history).when(moveFile(inFolder('d1', ['d1'], { taken: [nameKey('A.TXT')] }))).thenThrows(NameTakenError);
    givenFile(history)
      .when(moveFile(inFolder('d1', ['d1'], { taken: [nameKey('A.TXT')] }), 'b.txt'))
      .then([moved, { type: 'FileRenamed', data: { fileId: 'f1', ownerId: owner, from: 'a.txt', to: 'b.txt', renamedAt: at(1).toISOString() } }]);
    givenFile(history).when(moveFile(inFolder('d1', ['d1'], { parentLive: false }))).thenThrows(FolderNotFoundError);
    givenFile(history).when(moveFile(place())).then([]);
    givenFile(history).when({ type: 'MoveFile', data: { ownerId: 'u2', place: place(), limits, now: at(1) } }).thenThrows(Error);
    givenFile([uploaded('a.txt', 'd1')]).when(moveFile(place())).then([{ type: 'FileMoved', data: { fileId: 'f1', ownerId: owner, from: 'd1', to: null, movedAt: at(1).toISOString() } }]);
  });

  it('renames within its folder unless the name is taken there', () => {
    givenFile([uploaded('a.txt')]).when({ type: 'RenameFile', data: { ownerId: owner, name: 'B.txt', taken: [nameKey('b.txt')], now: at(1) } }).thenThrows(NameTakenError);
  });

  it('remembers the folder whose trash took it, and restores keeping both names', () => {
    const trashedWith: FileEvent = { type: 'FileTrashed', data: { fileId: 'f1', ownerId: owner, trashedAt: at(1).toISOString(), withFolderId: 'd1' } };
    givenFile([uploaded('a.txt', 'd1')]).when({ type: 'TrashFile', data: { ownerId: owner, withFolderId: 'd1', now: at(1) } }).then([trashedWith]);
    const history = [uploaded('a.txt', 'd1'), trashedWith];
    const restored: FileEvent = { type: 'FileRestored', data: { fileId: 'f1', ownerId: owner, restoredAt: at(2).toISOString() } };
    givenFile(history).when({ type: 'RestoreFile', data: { ownerId: owner, taken: [nameKey('A.txt')], now: at(2) } }).thenThrows(NameTakenError);
    givenFile(history)
      .when({ type: 'RestoreFile', data: { ownerId: owner, taken: [nameKey('A.txt')], rename: 'a (2).txt', now: at(2) } })
      .then([restored, { type: 'FileRenamed', data: { fileId: 'f1', ownerId: owner, from: 'a.txt', to: 'a (2).txt', renamedAt: at(2).toISOString() } }]);
    const state = givenFile(history).when({ type: 'RestoreFile', data: { ownerId: owner, now: at(2) } }).thenState();
    expect(state.status === 'active' && [state.folderId, state.trashedWith]).toEqual(['d1', null]);
  });

  it('purges a file replaced by a restore without deleting the blob it hands on', () => {
    const history: FileEvent[] = [uploaded('a.txt'), { type: 'FileTrashed', data: { fileId: 'f1', ownerId: owner, trashedAt: at(1).toISOString() } }];
    givenFile(history)
      .when({ type: 'PurgeFile', data: { ownerId: owner, reason: 'replaced', keep: 'u1/f1/v1', now: at(2) } })
      .then([{ type: 'FilePurged', data: { fileId: 'f1', ownerId: owner, purgedAt: at(2).toISOString(), reason: 'replaced', blobNames: [], bytes: 10 } }]);
  });

  it('stars a live file once', () => {
    const starred: FileEvent = { type: 'FileStarred', data: { fileId: 'f1', ownerId: owner, starredAt: at(1).toISOString() } };
    givenFile([uploaded('a.txt')]).when({ type: 'StarFile', data: { ownerId: owner, now: at(1) } }).then([starred]);
    givenFile([uploaded('a.txt'), starred]).when({ type: 'StarFile', data: { ownerId: owner, now: at(2) } }).then([]);
    givenFile([uploaded('a.txt'), starred])
      .when({ type: 'UnstarFile', data: { ownerId: owner, now: at(2) } })
      .then([{ type: 'FileUnstarred', data: { fileId: 'f1', ownerId: owner, unstarredAt: at(2).toISOString() } }]);
  });
});
