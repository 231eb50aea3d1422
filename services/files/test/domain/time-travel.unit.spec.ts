/**
 * Time travel, purely: the fold of a stream up to a moment (the aggregates' own evolve, so any
 * event type they handle is handled here too), what `asOf` accepts, and the deciders that put an
 * entry back to how it was (`RewindFile`, `RewindFolder`).
 */
import { deciderSpec } from '@strata/event-store';
import { AppError } from '@strata/service-kit';
import { describe, expect, it } from 'vitest';
import { type FileEvent, type FileState, evolveFile, initialFileState } from '../../src/domain/file/file.js';
import { nameKey } from '../../src/domain/file/names.js';
import { type FolderEvent, evolveFolder, initialFolderState } from '../../src/domain/folder/folder.js';
import { FolderCycleError, FolderFullError, FolderNotFoundError, FolderTooDeepError, NameTakenError, type Place } from '../../src/domain/folder/place.js';
import { type Dated, advance, stateAsOf, versionsAsOf } from '../../src/domain/history.js';
import { parseAsOf } from '../../src/projections/as-of.js';
import { fileDecider, folderDecider } from '../../src/streams.js';

const t0 = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const owner = 'u1';
const limits = { maxDepth: 4, maxEntries: 3 };
const place = (p: Partial<Place> = {}): Place => ({ parentId: null, parentLive: true, parentDepth: 0, chain: [], entries: 0, taken: [], ...p });
const content = { versionId: 'v1', blobName: 'u1/f1/v1', size: 3, contentType: 'text/plain', sha256: 'a'.repeat(64) };

const uploaded = (minutes: number, name = 'a.txt', folderId?: string): FileEvent => ({
  type: 'FileUploaded',
  data: { fileId: 'f1', ownerId: owner, name, via: 'multipart', ...content, version: 1, createdAt: at(minutes).toISOString(), ...(folderId ? { folderId } : {}) },
});
const renamed = (minutes: number, from: string, to: string): FileEvent => ({ type: 'FileRenamed', data: { fileId: 'f1', ownerId: owner, from, to, renamedAt: at(minutes).toISOString() } });
const trashed = (minutes: number): FileEvent => ({ type: 'FileTrashed', data: { fileId: 'f1', ownerId: owner, trashedAt: at(minutes).toISOString() } });
const restored = (minutes: number): FileEvent => ({ type: 'FileRestored', data: { fileId: 'f1', ownerId: owner, restoredAt: at(minutes).toISOString() } });
const moved = (minutes: number, from: string | null, to: string | null): FileEvent => ({ type: 'FileMoved', data: { fileId: 'f1', ownerId: owner, from, to, movedAt: at(minutes).toISOString() } });
const timed = <E>(events: E[], minutes: number[]) => events.map((e, i) => ({ ...e, occurredAt: at(minutes[i]!) }));
const nameOf = (s: FileState) => (s.status === 'none' ? undefined : `${s.name}:${s.status}`);

describe('time travel: the fold up to a moment', () => {
  const log = timed([uploaded(0), renamed(1, 'a.txt', 'b.txt'), trashed(2), restored(3)], [0, 1, 2, 3]);

  it('is the fold of the events that had occurred by then, with the aggregate’s own evolve', () => {
    expect(stateAsOf(evolveFile, initialFileState, log, at(-1))).toEqual(initialFileState);
    expect(nameOf(stateAsOf(evolveFile, initialFileState, log, at(0)))).toBe('a.txt:active');
    expect(nameOf(stateAsOf(evolveFile, initialFileState, log, new Date(at(1).getTime() - 1)))).toBe('a.txt:active');
    expect(nameOf(stateAsOf(evolveFile, initialFileState, log, at(1)))).toBe('b.txt:active');
    expect(nameOf(stateAsOf(evolveFile, initialFileState, log, at(2.5)))).toBe('b.txt:trashed');
    expect(stateAsOf(evolveFile, initialFileState, log, at(9))).toEqual(log.reduce(evolveFile, initialFileState));
  });

  it('keeps a stream in its order when a clock went back: an event never takes effect before the one before it', () => {
    // the rename was stamped a minute before the upload by a replica whose clock is behind
    const skewed = timed([uploaded(0), renamed(-1, 'a.txt', 'b.txt'), trashed(2)], [0, -1, 2]);
    let dated: Dated<FileState> | undefined;
    const moments: Date[] = [];
    for (const e of skewed) {
      dated = advance(evolveFile, initialFileState, dated, e);
      moments.push(dated.validFrom);
    }
    expect(moments).toEqual([at(0), at(0), at(2)]);
    // the prefix rule and the history's moments agree: before the upload nothing, from it the rename too
    expect(stateAsOf(evolveFile, initialFileState, skewed, at(-0.5))).toEqual(initialFileState);
    expect(nameOf(stateAsOf(evolveFile, initialFileState, skewed, at(1)))).toBe('b.txt:active');
    expect(nameOf(stateAsOf(evolveFile, initialFileState, skewed, at(2)))).toBe('b.txt:trashed');
  });

  it('folds the history projection’s way: each event onto the state before it, the same result as the whole fold', () => {
    const folderLog = timed<FolderEvent>(
      [
        { type: 'FolderCreated', data: { folderId: 'd1', ownerId: owner, name: 'X', parentId: null, createdAt: at(0).toISOString() } },
        { type: 'FolderStarred', data: { folderId: 'd1', ownerId: owner, starredAt: at(1).toISOString() } },
        { type: 'FolderMoved', data: { folderId: 'd1', ownerId: owner, from: null, to: 'd0', movedAt: at(2).toISOString() } },
      ],
      [0, 1, 2],
    );
    let dated: Dated<ReturnType<typeof evolveFolder>> | undefined;
    for (const [i, e] of folderLog.entries()) {
      // the state is kept as JSON between events, as the history table keeps it
      dated = advance(evolveFolder, initialFolderState, dated && { ...dated, state: JSON.parse(JSON.stringify(dated.state)) }, e);
      expect(dated.state).toEqual(stateAsOf(evolveFolder, initialFolderState, folderLog, at(i)));
    }
  });
});

describe('time travel: a file’s versions as of a moment', () => {
  const v = (version: number) => ({ ...content, version, versionId: `v${version}`, blobName: `u1/f1/v${version}`, size: version * 10, createdAt: at(version).toISOString() });
  const ids = { fileId: 'f1', ownerId: owner };
  const log = timed(
    [
      uploaded(0),
      { type: 'FileVersionAdded', data: { ...ids, ...v(2) } },
      { type: 'FileTierChanged', data: { ...ids, from: 'Hot', to: 'Cool', changedAt: at(3).toISOString() } },
      { type: 'FileVersionLabelled', data: { ...ids, version: 1, label: 'first', labelledAt: at(4).toISOString() } },
      { type: 'FileTierChanged', data: { ...ids, from: 'Cool', to: 'Archive', changedAt: at(5).toISOString() } },
      { type: 'FileVersionAdded', data: { ...ids, ...v(3) } },
      { type: 'FileVersionRestored', data: { ...ids, ...v(4), blobName: 'u1/f1/v1', restoredFrom: 1 } },
      { type: 'FileTierChanged', data: { ...ids, from: 'Hot', to: 'Cool', changedAt: at(8).toISOString() } },
      { type: 'FileRehydrated', data: { ...ids, requestedAt: at(8).toISOString(), rehydratedAt: at(9).toISOString() } },
      { type: 'FileVersionDeleted', data: { ...ids, version: 2, reason: 'deleted', blobName: 'u1/f1/v2', bytes: 20, deletedAt: at(10).toISOString() } },
    ] as FileEvent[],
    [0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  const shown = (asOf: Date) => versionsAsOf(log, asOf).map((x) => `${x.version}:${x.tier}:${x.label ?? '-'}:${x.restoredFrom ?? '-'}`);

  it('lists the versions there were then, with their names, origins and tiers then', () => {
    expect(shown(at(-1))).toEqual([]);
    expect(shown(at(0))).toEqual(['1:Hot:-:-']);
    expect(shown(at(2))).toEqual(['1:Hot:-:-', '2:Hot:-:-']);
    expect(shown(at(4))).toEqual(['1:Cool:first:-', '2:Cool:-:-']);
    // a new version is hot beside archived ones; a restored one shares the archived blob's tier
    expect(shown(at(7))).toEqual(['1:Archive:first:-', '2:Archive:-:-', '3:Hot:-:-', '4:Archive:-:1']);
    // a tier change leaves the archived ones archived; a rehydration brings them back hot
    expect(shown(at(8))).toEqual(['1:Archive:first:-', '2:Archive:-:-', '3:Cool:-:-', '4:Archive:-:1']);
    expect(shown(at(9))).toEqual(['1:Hot:first:-', '2:Hot:-:-', '3:Cool:-:-', '4:Hot:-:1']);
    expect(shown(at(10))).toEqual(['1:Hot:first:-', '3:Cool:-:-', '4:Hot:-:1']);
  });

  it('takes the versions, names and sizes from the file’s own evolve, over the prefix stateAsOf folds', () => {
    for (const minutes of [-1, 0, 2.5, 4, 6.5, 9, 11]) {
      const state = stateAsOf(evolveFile, initialFileState, log, at(minutes));
      const versions = versionsAsOf(log, at(minutes)).map(({ tier: _tier, ...rest }) => rest);
      expect(versions).toEqual(state.status === 'none' ? [] : state.versions);
    }
  });
});

describe('time travel: what asOf accepts', () => {
  const now = new Date('2026-12-02T12:00:00.000Z');
  it('takes RFC 3339 timestamps with an offset, to the millisecond', () => {
    expect(parseAsOf('2026-12-01T09:30:00Z', now).toISOString()).toBe('2026-12-01T09:30:00.000Z');
    expect(parseAsOf('2026-12-01T10:30:00.250+01:00', now).toISOString()).toBe('2026-12-01T09:30:00.250Z');
    expect(parseAsOf('2026-12-01t09:30:00.123456789z', now).toISOString()).toBe('2026-12-01T09:30:00.123Z');
    expect(parseAsOf('2026-12-01 09:30:00-00:30', now).toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(parseAsOf('1970-01-01T00:00:00Z', now).getTime()).toBe(0);
  });

  it('reads a moment after now as now', () => {
    expect(parseAsOf('2999-01-01T00:00:00Z', now)).toEqual(now);
    expect(parseAsOf('2026-12-02T12:00:00.001Z', now)).toEqual(now);
  });

  it('refuses anything else with a 400 invalid-as-of', () => {
    for (const bad of [
      'yesterday',
      '',
      '2026-12-01',
      '2026-12-01T09:30:00',
      '2026-12-01T09:30Z',
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-12-01T24:00:00Z',
      '2026-12-31T23:59:60Z',
      '2026-12-01T09:30:00+25:00',
      '1733045400000',
      '0000-01-01T00:00:00Z',
      '2026-12-01T09:30:00Z\u0000',
    ]) {
      let error: unknown;
      try {
        parseAsOf(bad, now);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(AppError);
      expect((error as AppError).status, bad).toBe(400);
      expect((error as AppError).code, bad).toBe('invalid-as-of');
    }
  });
});

describe('time travel: an entry put back to how it was (RewindFile, RewindFolder)', () => {
  const givenFile = deciderSpec(fileDecider);
  const given = deciderSpec(folderDecider);
  const rewindFile = (to: { name: string; folderId: string | null }, p: Place) => ({ type: 'RewindFile' as const, data: { ownerId: owner, to, place: p, limits, now: at(9) } });
  const rewindFolder = (to: { name: string; parentId: string | null }, p: Place, height = 0) => ({
    type: 'RewindFolder' as const,
    data: { ownerId: owner, to, place: p, height, limits, now: at(9) },
  });
  const folderCreated = (name: string, parentId: string | null): FolderEvent => ({
    type: 'FolderCreated',
    data: { folderId: 'd1', ownerId: owner, name, parentId, createdAt: at(0).toISOString() },
  });
  const nine = at(9).toISOString();

  it('out of the trash, back to its folder and name of then: the events that exist already, in that order', () => {
    givenFile([uploaded(0, 'b.txt', 'd2'), trashed(1)])
      .when(rewindFile({ name: 'a.txt', folderId: 'd1' }, place({ parentId: 'd1', parentDepth: 1, chain: ['d1'] })))
      .then([restored(9), moved(9, 'd2', 'd1'), renamed(9, 'b.txt', 'a.txt')]);
    // as it was already: nothing
    givenFile([uploaded(0, 'a.txt', 'd1')]).when(rewindFile({ name: 'a.txt', folderId: 'd1' }, place({ parentId: 'd1' }))).then([]);
  });

  it('checks where it goes on the tree as it will be: names, room, a live parent', () => {
    const there = (p: Partial<Place>) => place({ parentId: 'd1', parentDepth: 1, chain: ['d1'], ...p });
    givenFile([uploaded(0, 'b.txt')]).when(rewindFile({ name: 'a.txt', folderId: 'd1' }, there({ taken: [nameKey('A.TXT')] }))).thenThrows(NameTakenError);
    givenFile([uploaded(0, 'b.txt')]).when(rewindFile({ name: 'a.txt', folderId: 'd1' }, there({ entries: 3 }))).thenThrows(FolderFullError);
    givenFile([uploaded(0, 'b.txt')]).when(rewindFile({ name: 'a.txt', folderId: 'd1' }, there({ parentLive: false }))).thenThrows(FolderNotFoundError);
    // someone else's file is not found
    givenFile([{ ...uploaded(0), data: { ...(uploaded(0).data as object), ownerId: 'u2' } } as FileEvent])
      .when(rewindFile({ name: 'a.txt', folderId: null }, place()))
      .thenThrows(Error);
  });

  it('moves a folder back without a cycle and within the depth limit, counting the levels it will hold', () => {
    given([folderCreated('Y', 'd9')])
      .when(rewindFolder({ name: 'X', parentId: 'd2' }, place({ parentId: 'd2', parentDepth: 2, chain: ['d2', 'd0'] })))
      .then([
        { type: 'FolderMoved', data: { folderId: 'd1', ownerId: owner, from: 'd9', to: 'd2', movedAt: nine } },
        { type: 'FolderRenamed', data: { folderId: 'd1', ownerId: owner, from: 'Y', to: 'X', renamedAt: nine } },
      ]);
    given([folderCreated('X', null)]).when(rewindFolder({ name: 'X', parentId: 'd2' }, place({ parentId: 'd2', parentDepth: 2, chain: ['d2', 'd1'] }))).thenThrows(FolderCycleError);
    given([folderCreated('X', null)]).when(rewindFolder({ name: 'X', parentId: 'd2' }, place({ parentId: 'd2', parentDepth: 2, chain: ['d2', 'd0'] }), 2)).thenThrows(FolderTooDeepError);
    given([folderCreated('X', null), { type: 'FolderTrashed', data: { folderId: 'd1', ownerId: owner, trashedAt: at(1).toISOString() } }])
      .when(rewindFolder({ name: 'X', parentId: null }, place()))
      .then([{ type: 'FolderRestored', data: { folderId: 'd1', ownerId: owner, restoredAt: nine } }]);
  });
});
