import { deciderSpec } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import { CurrentVersionError, FileNotFoundError, VersionNotFoundError } from '../../src/domain/file/decide.js';
import type { FileEvent } from '../../src/domain/file/file.js';
import { InvalidLabelError, validateLabel, versionsToDrop } from '../../src/domain/file/versions.js';
import { fileDecider } from '../../src/streams.js';

const given = deciderSpec(fileDecider);
const t0 = new Date('2026-11-25T10:00:00Z');
const DAY = 86_400_000;
const day = (n: number) => new Date(t0.getTime() + n * DAY);
const owner = 'u1';
const content = (n: number) => ({ versionId: `v${n}`, blobName: `u1/f1/v${n}`, size: 10 * n, contentType: 'application/pdf', sha256: `h${n}` });

const uploaded: FileEvent = {
  type: 'FileUploaded',
  data: { fileId: 'f1', ownerId: owner, name: 'report.pdf', via: 'multipart', ...content(1), version: 1, createdAt: t0.toISOString() },
};
const added = (n: number, at: Date): FileEvent => ({ type: 'FileVersionAdded', data: { fileId: 'f1', ownerId: owner, ...content(n), version: n, createdAt: at.toISOString() } });
const v2 = added(2, day(1));
/** Version 3: version 1 made current again, sharing its blob. */
const restored1: FileEvent = {
  type: 'FileVersionRestored',
  data: { fileId: 'f1', ownerId: owner, version: 3, versionId: 'r3', blobName: 'u1/f1/v1', size: 10, contentType: 'application/pdf', sha256: 'h1', createdAt: day(2).toISOString(), restoredFrom: 1 },
};
const deleted = (version: number, blobName: string | null, bytes: number, at: Date, reason: 'user' | 'retention' = 'user'): FileEvent => ({
  type: 'FileVersionDeleted',
  data: { fileId: 'f1', ownerId: owner, version, reason, blobName, bytes, deletedAt: at.toISOString() },
});

describe('version control: restore', () => {
  it('makes an old version current as a new version that shares its blob, numbered after the last', () => {
    given([uploaded, v2]).when({ type: 'RestoreVersion', data: { ownerId: owner, version: 1, versionId: 'r3', now: day(2) } }).then([restored1]);
    const state = given([uploaded, v2]).when({ type: 'RestoreVersion', data: { ownerId: owner, version: 1, versionId: 'r3', now: day(2) } }).thenState();
    expect(state.status === 'active' && state.versions.map((v) => [v.version, v.blobName, v.restoredFrom])).toEqual([
      [1, 'u1/f1/v1', null],
      [2, 'u1/f1/v2', null],
      [3, 'u1/f1/v1', 1],
    ]);
    expect(state.status === 'active' && state.updatedAt).toBe(day(2).toISOString());
  });

  it('refuses a version that is not there, a trashed file and another user’s file', () => {
    given([uploaded, v2]).when({ type: 'RestoreVersion', data: { ownerId: owner, version: 7, versionId: 'r3', now: day(2) } }).thenThrows(VersionNotFoundError);
    const trashed: FileEvent = { type: 'FileTrashed', data: { fileId: 'f1', ownerId: owner, trashedAt: day(2).toISOString() } };
    given([uploaded, v2, trashed]).when({ type: 'RestoreVersion', data: { ownerId: owner, version: 1, versionId: 'r3', now: day(3) } }).thenThrows(FileNotFoundError);
    given([uploaded, v2]).when({ type: 'RestoreVersion', data: { ownerId: 'u2', version: 1, versionId: 'r3', now: day(2) } }).thenThrows(FileNotFoundError);
    given([uploaded, v2]).when({ type: 'DeleteVersion', data: { ownerId: 'u2', version: 1, now: day(2) } }).thenThrows(FileNotFoundError);
    given([uploaded, v2]).when({ type: 'ApplyRetention', data: { ownerId: 'u2', policy: { keepLast: 1, keepDays: null }, now: day(2) } }).thenThrows(FileNotFoundError);
    given([uploaded, v2]).when({ type: 'LabelVersion', data: { ownerId: 'u2', version: 1, label: 'x', now: day(2) } }).thenThrows(FileNotFoundError);
  });

  it('restores an archived version as archived: its blob is the same', () => {
    const archivedAll: FileEvent = { type: 'FileTierChanged', data: { fileId: 'f1', ownerId: owner, from: 'Hot', to: 'Archive', changedAt: day(1).toISOString() } };
    const v3 = added(3, day(2));
    const state = given([uploaded, v2, archivedAll, v3]).when({ type: 'RestoreVersion', data: { ownerId: owner, version: 1, versionId: 'r4', now: day(3) } }).thenState();
    expect(state.status === 'active' && [state.tier, state.archived]).toEqual(['Archive', [1, 2, 4]]);
  });
});

describe('version control: labels', () => {
  it('names a version, renames it, takes the name away; the same name twice is nothing', () => {
    const labelled: FileEvent = { type: 'FileVersionLabelled', data: { fileId: 'f1', ownerId: owner, version: 1, label: 'signed', labelledAt: day(2).toISOString() } };
    given([uploaded, v2]).when({ type: 'LabelVersion', data: { ownerId: owner, version: 1, label: 'signed', now: day(2) } }).then([labelled]);
    given([uploaded, v2, labelled]).when({ type: 'LabelVersion', data: { ownerId: owner, version: 1, label: 'signed', now: day(3) } }).then([]);
    given([uploaded, v2, labelled])
      .when({ type: 'LabelVersion', data: { ownerId: owner, version: 1, label: null, now: day(3) } })
      .then([{ type: 'FileVersionLabelled', data: { fileId: 'f1', ownerId: owner, version: 1, label: null, labelledAt: day(3).toISOString() } }]);
    const state = given([uploaded, v2, labelled]).when({ type: 'LabelVersion', data: { ownerId: owner, version: 2, label: 'draft', now: day(3) } }).thenState();
    expect(state.status === 'active' && state.versions.map((v) => v.label)).toEqual(['signed', 'draft']);
  });

  it('stores a label in NFC and refuses empty, long, padded or hidden-character labels', () => {
    expect(validateLabel('Cafe\u0301')).toBe('Caf\u00e9');
    expect(validateLabel('x'.repeat(100))).toHaveLength(100);
    for (const bad of ['', '   ', ' signed', 'signed ', 'x'.repeat(101), 'a\u0000b', 'in\u202Evoice', 'tab\there', 'zero\u200bwidth']) {
      expect(() => validateLabel(bad), JSON.stringify(bad)).toThrow(InvalidLabelError);
    }
    given([uploaded]).when({ type: 'LabelVersion', data: { ownerId: owner, version: 1, label: 'a\u202Eb', now: day(1) } }).thenThrows(InvalidLabelError);
    given([uploaded]).when({ type: 'LabelVersion', data: { ownerId: owner, version: 2, label: 'x', now: day(1) } }).thenThrows(VersionNotFoundError);
  });
});

describe('version control: delete', () => {
  it('never deletes the current version', () => {
    given([uploaded]).when({ type: 'DeleteVersion', data: { ownerId: owner, version: 1, now: day(1) } }).thenThrows(CurrentVersionError);
    given([uploaded, v2]).when({ type: 'DeleteVersion', data: { ownerId: owner, version: 2, now: day(1) } }).thenThrows(CurrentVersionError);
    given([uploaded, v2, restored1]).when({ type: 'DeleteVersion', data: { ownerId: owner, version: 3, now: day(3) } }).thenThrows(CurrentVersionError);
  });

  it('deletes an old version and names its blob, with the bytes it frees', () => {
    given([uploaded, v2]).when({ type: 'DeleteVersion', data: { ownerId: owner, version: 1, now: day(3) } }).then([deleted(1, 'u1/f1/v1', 10, day(3))]);
    given([uploaded, v2, deleted(1, 'u1/f1/v1', 10, day(3))]).when({ type: 'DeleteVersion', data: { ownerId: owner, version: 1, now: day(3) } }).thenThrows(VersionNotFoundError);
  });

  it('keeps a blob another version still holds: the restored-from version goes, its blob stays, and frees nothing', () => {
    given([uploaded, v2, restored1]).when({ type: 'DeleteVersion', data: { ownerId: owner, version: 1, now: day(3) } }).then([deleted(1, null, 0, day(3))]);
    // once the restore is no longer current and its source is gone, deleting it deletes the blob
    const v4 = added(4, day(4));
    given([uploaded, v2, restored1, v4, deleted(1, null, 0, day(3))])
      .when({ type: 'DeleteVersion', data: { ownerId: owner, version: 3, now: day(5) } })
      .then([deleted(3, 'u1/f1/v1', 10, day(5))]);
  });

  it('numbers the next version after the last, whatever was deleted before it', () => {
    const state = given([uploaded, v2, added(3, day(2)), deleted(2, 'u1/f1/v2', 20, day(3))])
      .when({ type: 'RestoreVersion', data: { ownerId: owner, version: 1, versionId: 'r4', now: day(4) } })
      .thenState();
    expect(state.status === 'active' && state.versions.map((v) => v.version)).toEqual([1, 3, 4]);
  });

  it('purges a file whose versions share a blob: the blob named once, its bytes counted once', () => {
    const trashed: FileEvent = { type: 'FileTrashed', data: { fileId: 'f1', ownerId: owner, trashedAt: day(3).toISOString() } };
    given([uploaded, v2, restored1, trashed])
      .when({ type: 'PurgeFile', data: { ownerId: owner, reason: 'user', now: day(4) } })
      .then([{ type: 'FilePurged', data: { fileId: 'f1', ownerId: owner, purgedAt: day(4).toISOString(), reason: 'user', blobNames: ['u1/f1/v1', 'u1/f1/v2'], bytes: 30 } }]);
  });
});

describe('version control: retention', () => {
  const versions = (ages: number[], labels: Record<number, string> = {}) =>
    ages.map((createdDay, i) => ({ version: i + 1, label: labels[i + 1] ?? null, createdAt: day(createdDay).toISOString() }));

  it('keeps everything with no rule', () => {
    expect(versionsToDrop(versions([0, 1, 2, 3]), { keepLast: null, keepDays: null }, day(100))).toEqual([]);
  });

  it('keeps the last N, the current one counted', () => {
    expect(versionsToDrop(versions([0, 1, 2, 3, 4]), { keepLast: 2, keepDays: null }, day(5))).toEqual([1, 2, 3]);
    expect(versionsToDrop(versions([0, 1, 2]), { keepLast: 3, keepDays: null }, day(5))).toEqual([]);
  });

  it('keeps those younger than D days, and the current one however old', () => {
    expect(versionsToDrop(versions([0, 1, 8, 9]), { keepLast: null, keepDays: 3 }, day(10))).toEqual([1, 2]);
    expect(versionsToDrop(versions([0, 1]), { keepLast: null, keepDays: 3 }, day(100))).toEqual([1]);
    // exactly D days old is old enough to go
    expect(versionsToDrop(versions([0, 7]), { keepLast: null, keepDays: 3 }, day(3))).toEqual([1]);
  });

  it('with both rules keeps a version either one keeps', () => {
    // ages at day 10: 10, 9, 8, 2, 1 days; last 2 keeps 4 and 5; 3 days keeps 4 and 5 too; then the last 4
    expect(versionsToDrop(versions([0, 1, 2, 8, 9]), { keepLast: 2, keepDays: 3 }, day(10))).toEqual([1, 2, 3]);
    expect(versionsToDrop(versions([0, 1, 2, 8, 9]), { keepLast: 4, keepDays: 3 }, day(10))).toEqual([1]);
    expect(versionsToDrop(versions([0, 1, 2, 8, 9]), { keepLast: 1, keepDays: 9.5 }, day(10))).toEqual([1]);
  });

  it('keeps named versions', () => {
    expect(versionsToDrop(versions([0, 1, 2, 3]), { keepLast: 1, keepDays: null }, day(5))).toEqual([1, 2, 3]);
    expect(versionsToDrop(versions([0, 1, 2, 3], { 2: 'signed' }), { keepLast: 1, keepDays: null }, day(5))).toEqual([1, 3]);
  });

  it('deletes what the policy lets go, in order, with reason retention, a shared blob kept', () => {
    const v4 = added(4, day(3));
    given([uploaded, v2, restored1, v4])
      .when({ type: 'ApplyRetention', data: { ownerId: owner, policy: { keepLast: 1, keepDays: null }, now: day(10) } })
      .then([deleted(1, null, 0, day(10), 'retention'), deleted(2, 'u1/f1/v2', 20, day(10), 'retention'), deleted(3, 'u1/f1/v1', 10, day(10), 'retention')]);
    given([uploaded]).when({ type: 'ApplyRetention', data: { ownerId: owner, policy: { keepLast: 1, keepDays: 1 }, now: day(10) } }).then([]);
  });
});
