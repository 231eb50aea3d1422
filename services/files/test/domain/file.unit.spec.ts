import { deciderSpec } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import { FileExistsError, FileNotFoundError, FileNotInTrashError } from '../../src/domain/file/decide.js';
import type { FileEvent } from '../../src/domain/file/file.js';
import { InvalidNameError, validateFileName } from '../../src/domain/file/names.js';
import { fileDecider } from '../../src/streams.js';

const given = deciderSpec(fileDecider);
const t0 = new Date('2026-11-25T10:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const owner = 'u1';
const content = (n: number) => ({ versionId: `v${n}`, blobName: `u1/f1/v${n}`, size: 10 * n, contentType: 'application/pdf', sha256: `h${n}` });

const uploaded: FileEvent = {
  type: 'FileUploaded',
  data: { fileId: 'f1', ownerId: owner, name: 'report.pdf', via: 'multipart', ...content(1), version: 1, createdAt: t0.toISOString() },
};
const v2: FileEvent = { type: 'FileVersionAdded', data: { fileId: 'f1', ownerId: owner, ...content(2), version: 2, createdAt: at(1).toISOString() } };
const trashed: FileEvent = { type: 'FileTrashed', data: { fileId: 'f1', ownerId: owner, trashedAt: at(2).toISOString() } };
const purged: FileEvent = {
  type: 'FilePurged',
  data: { fileId: 'f1', ownerId: owner, purgedAt: at(3).toISOString(), reason: 'user', blobNames: ['u1/f1/v1'], bytes: 10 },
};

describe('file decider', () => {
  it('uploads a file once, as version 1', () => {
    const upload = { type: 'UploadFile' as const, data: { fileId: 'f1', ownerId: owner, name: 'report.pdf', via: 'multipart' as const, content: content(1), now: t0 } };
    given([]).when(upload).then([uploaded]);
    given([uploaded]).when(upload).thenThrows(FileExistsError);
  });

  it('refuses a bad name before anything is decided', () => {
    const upload = { type: 'UploadFile' as const, data: { fileId: 'f1', ownerId: owner, name: '../etc/passwd', via: 'multipart' as const, content: content(1), now: t0 } };
    given([]).when(upload).thenThrows(InvalidNameError);
  });

  it('numbers new versions after the last one', () => {
    given([uploaded]).when({ type: 'AddVersion', data: { ownerId: owner, content: content(2), now: at(1) } }).then([v2]);
    const state = given([uploaded, v2]).when({ type: 'AddVersion', data: { ownerId: owner, content: content(3), now: at(5) } }).thenState();
    expect(state.status === 'active' && state.versions.map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it('renames, and a rename to the same name changes nothing', () => {
    given([uploaded])
      .when({ type: 'RenameFile', data: { ownerId: owner, name: 'final.pdf', now: at(1) } })
      .then([{ type: 'FileRenamed', data: { fileId: 'f1', ownerId: owner, from: 'report.pdf', to: 'final.pdf', renamedAt: at(1).toISOString() } }]);
    given([uploaded]).when({ type: 'RenameFile', data: { ownerId: owner, name: 'report.pdf', now: at(1) } }).then([]);
  });

  it("treats another user's file as not found, for every command", () => {
    const other = 'u2';
    const commands = [
      { type: 'AddVersion' as const, data: { ownerId: other, content: content(2), now: at(1) } },
      { type: 'RenameFile' as const, data: { ownerId: other, name: 'x', now: at(1) } },
      { type: 'TrashFile' as const, data: { ownerId: other, now: at(1) } },
      { type: 'RestoreFile' as const, data: { ownerId: other, now: at(1) } },
      { type: 'PurgeFile' as const, data: { ownerId: other, reason: 'user' as const, now: at(1) } },
      { type: 'ChangeTier' as const, data: { ownerId: other, to: 'Cool' as const, now: at(1) } },
      { type: 'ShareFile' as const, data: { ownerId: other, clientId: 'c', now: at(1) } },
      { type: 'UnshareFile' as const, data: { ownerId: other, clientId: 'c', now: at(1) } },
    ];
    for (const command of commands) {
      given([uploaded]).when(command).thenThrows(FileNotFoundError);
      given([uploaded, trashed]).when(command).thenThrows(FileNotFoundError);
    }
  });

  it('trashes, restores, and purges only from the trash', () => {
    given([uploaded]).when({ type: 'TrashFile', data: { ownerId: owner, now: at(2) } }).then([trashed]);
    given([uploaded, trashed]).when({ type: 'TrashFile', data: { ownerId: owner, now: at(3) } }).thenThrows(FileNotFoundError);
    given([uploaded, trashed])
      .when({ type: 'RestoreFile', data: { ownerId: owner, now: at(3) } })
      .then([{ type: 'FileRestored', data: { fileId: 'f1', ownerId: owner, restoredAt: at(3).toISOString() } }]);
    given([uploaded]).when({ type: 'RestoreFile', data: { ownerId: owner, now: at(3) } }).thenThrows(FileNotInTrashError);
    given([uploaded]).when({ type: 'PurgeFile', data: { ownerId: owner, reason: 'user', now: at(3) } }).thenThrows(FileNotInTrashError);
    given([uploaded, trashed]).when({ type: 'PurgeFile', data: { ownerId: owner, reason: 'user', now: at(3) } }).then([purged]);
  });

  it('names every version blob in FilePurged, and a purged file is gone for good', () => {
    given([uploaded, v2, trashed])
      .when({ type: 'PurgeFile', data: { ownerId: owner, reason: 'retention', now: at(3) } })
      .then([{ type: 'FilePurged', data: { fileId: 'f1', ownerId: owner, purgedAt: at(3).toISOString(), reason: 'retention', blobNames: ['u1/f1/v1', 'u1/f1/v2'], bytes: 30 } }]);
    given([uploaded, trashed, purged]).when({ type: 'RestoreFile', data: { ownerId: owner, now: at(4) } }).thenThrows(FileNotFoundError);
    given([uploaded, trashed, purged]).when({ type: 'PurgeFile', data: { ownerId: owner, reason: 'user', now: at(4) } }).thenThrows(FileNotFoundError);
  });

  it('changes the tier only when it differs; a new version is hot again', () => {
    const cool: FileEvent = { type: 'FileTierChanged', data: { fileId: 'f1', ownerId: owner, from: 'Hot', to: 'Cool', changedAt: at(5).toISOString() } };
    given([uploaded]).when({ type: 'ChangeTier', data: { ownerId: owner, to: 'Cool', now: at(5) } }).then([cool]);
    given([uploaded, cool]).when({ type: 'ChangeTier', data: { ownerId: owner, to: 'Cool', now: at(6) } }).then([]);
    const state = given([uploaded, cool]).when({ type: 'AddVersion', data: { ownerId: owner, content: content(2), now: at(7) } }).thenState();
    expect(state.status === 'active' && state.tier).toBe('Hot');
  });

  describe('rehydration of archived content', () => {
    const archive: FileEvent = { type: 'FileTierChanged', data: { fileId: 'f1', ownerId: owner, from: 'Hot', to: 'Archive', changedAt: at(5).toISOString() } };
    const request = (minutes: number, priority: 'Standard' | 'High' = 'Standard') => ({ type: 'RequestRehydration' as const, data: { ownerId: owner, priority, now: at(minutes) } });
    const complete = (minutes: number) => ({ type: 'CompleteRehydration' as const, data: { ownerId: owner, now: at(minutes) } });
    const requested: FileEvent = { type: 'FileRehydrationRequested', data: { fileId: 'f1', ownerId: owner, priority: 'Standard', requestedAt: at(6).toISOString() } };
    const rehydrated: FileEvent = { type: 'FileRehydrated', data: { fileId: 'f1', ownerId: owner, requestedAt: at(6).toISOString(), rehydratedAt: at(9).toISOString() } };

    it('is requested for an archived file, once: a second download while pending asks for nothing', () => {
      given([uploaded, archive]).when(request(6)).then([requested]);
      given([uploaded, archive, requested]).when(request(7)).then([]);
      given([uploaded, archive, requested]).when(request(7, 'High')).then([]);
      given([uploaded, archive])
        .when(request(6, 'High'))
        .then([{ type: 'FileRehydrationRequested', data: { fileId: 'f1', ownerId: owner, priority: 'High', requestedAt: at(6).toISOString() } }]);
    });

    it('asks for nothing when nothing is archived (hot, cool, or already rehydrated)', () => {
      const cool: FileEvent = { type: 'FileTierChanged', data: { fileId: 'f1', ownerId: owner, from: 'Hot', to: 'Cool', changedAt: at(5).toISOString() } };
      given([uploaded]).when(request(6)).then([]);
      given([uploaded, cool]).when(request(6)).then([]);
      given([uploaded, archive, requested, rehydrated]).when(request(10)).then([]);
    });

    it('completes once, naming when it was asked; the file is hot again and can be archived again later', () => {
      given([uploaded, archive, requested]).when(complete(9)).then([rehydrated]);
      given([uploaded, archive, requested, rehydrated]).when(complete(10)).then([]);
      given([uploaded, archive]).when(complete(9)).then([]);
      const state = given([uploaded, archive, requested]).when(complete(9)).thenState();
      expect(state.status === 'active' && { tier: state.tier, archived: state.archived, rehydration: state.rehydration }).toEqual({ tier: 'Hot', archived: [], rehydration: null });
      given([uploaded, archive, requested, rehydrated])
        .when({ type: 'ChangeTier', data: { ownerId: owner, to: 'Archive', now: at(20) } })
        .then([{ type: 'FileTierChanged', data: { fileId: 'f1', ownerId: owner, from: 'Hot', to: 'Archive', changedAt: at(20).toISOString() } }]);
    });

    it('keeps older versions archived when a new version is added, and rehydrates them on request', () => {
      const v2Later: FileEvent = { type: 'FileVersionAdded', data: { fileId: 'f1', ownerId: owner, ...content(2), version: 2, createdAt: at(6).toISOString() } };
      const state = given([uploaded, archive]).when({ type: 'AddVersion', data: { ownerId: owner, content: content(2), now: at(6) } }).thenState();
      expect(state.status === 'active' && { tier: state.tier, archived: state.archived }).toEqual({ tier: 'Hot', archived: [1] });
      const later = { ...requested, data: { ...requested.data, requestedAt: at(7).toISOString() } } as FileEvent;
      given([uploaded, archive, v2Later]).when(request(7)).then([later]);
      // a cool tier change leaves the archived version archived (the tier job never warms a blob)
      const cool: FileEvent = { type: 'FileTierChanged', data: { fileId: 'f1', ownerId: owner, from: 'Hot', to: 'Cool', changedAt: at(8).toISOString() } };
      const cooled = given([uploaded, archive, v2Later, cool]).when(request(9)).thenState();
      expect(cooled.status === 'active' && { tier: cooled.tier, archived: cooled.archived }).toEqual({ tier: 'Cool', archived: [1] });
    });

    it("is not requested through the trash, nor for someone else's file", () => {
      const trashedLater: FileEvent = { type: 'FileTrashed', data: { fileId: 'f1', ownerId: owner, trashedAt: at(6).toISOString() } };
      given([uploaded, archive, trashedLater]).when(request(7)).thenThrows(FileNotFoundError);
      given([uploaded, archive]).when({ type: 'RequestRehydration', data: { ownerId: 'u2', priority: 'Standard', now: at(6) } }).thenThrows(FileNotFoundError);
      given([uploaded, archive, requested]).when({ type: 'CompleteRehydration', data: { ownerId: 'u2', now: at(9) } }).thenThrows(FileNotFoundError);
      // a file trashed while its blobs come back is still completed: the restore finds it hot
      given([uploaded, archive, requested, trashedLater]).when(complete(9)).then([rehydrated]);
    });
  });

  it('shares with a partner client once and unshares', () => {
    const shared: FileEvent = { type: 'FileShared', data: { fileId: 'f1', ownerId: owner, clientId: 'acme', sharedAt: at(1).toISOString() } };
    given([uploaded]).when({ type: 'ShareFile', data: { ownerId: owner, clientId: 'acme', now: at(1) } }).then([shared]);
    given([uploaded, shared]).when({ type: 'ShareFile', data: { ownerId: owner, clientId: 'acme', now: at(2) } }).then([]);
    given([uploaded, shared])
      .when({ type: 'UnshareFile', data: { ownerId: owner, clientId: 'acme', now: at(2) } })
      .then([{ type: 'FileUnshared', data: { fileId: 'f1', ownerId: owner, clientId: 'acme', unsharedAt: at(2).toISOString() } }]);
    given([uploaded]).when({ type: 'UnshareFile', data: { ownerId: owner, clientId: 'acme', now: at(2) } }).then([]);
  });
});

describe('file names', () => {
  it('accepts ordinary names, including non-Latin ones', () => {
    for (const name of ['report.pdf', 'Résumé 2026.docx', '報告書.txt', 'a', '.bashrc', 'x'.repeat(255)]) expect(validateFileName(name)).toBe(name);
  });

  it('refuses paths, controls, text-direction tricks, and overlong or empty names', () => {
    const hostile = ['../etc/passwd', '..', 'a/b', 'a\\b', 'bad\u0000.txt', 'line\nbreak', 'invoice\u202Efdp.exe', 'zero\u200Bwidth', 'x'.repeat(256), 'x'.repeat(10_000), '', '   ', ' lead'];
    for (const name of hostile) expect(() => validateFileName(name), JSON.stringify(name.slice(0, 20))).toThrow(InvalidNameError);
  });
});
