import { deciderSpec } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import { LinkExistsError, LinkNotFoundError } from '../../src/domain/link/decide.js';
import type { LinkEvent } from '../../src/domain/link/link.js';
import { ShareExistsError, ShareNotFoundError, ShareWithSelfError } from '../../src/domain/share/decide.js';
import type { ShareEvent } from '../../src/domain/share/share.js';
import { linkDecider, shareDecider } from '../../src/streams.js';

const t0 = new Date('2026-12-04T01:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

describe('share decider', () => {
  const given = deciderSpec(shareDecider);
  const item = { shareId: 's1', ownerId: 'a', kind: 'folder' as const, itemId: 'd1', recipientId: 'b' };
  const shared: ShareEvent = { type: 'ItemShared', data: { ...item, email: 'b@example.test', role: 'viewer', sharedAt: t0.toISOString() } };
  const create = { type: 'CreateShare' as const, data: { ...item, email: 'b@example.test', role: 'viewer' as const, now: t0 } };

  it('shares once, never with the owner', () => {
    given([]).when(create).then([shared]);
    given([shared]).when(create).thenThrows(ShareExistsError);
    given([]).when({ ...create, data: { ...create.data, recipientId: 'a' } }).thenThrows(ShareWithSelfError);
  });

  it('changes the role only for the owner, and only when it changes', () => {
    const changed: ShareEvent = { type: 'ShareRoleChanged', data: { ...item, from: 'viewer', to: 'editor', changedAt: at(1).toISOString() } };
    given([shared]).when({ type: 'ChangeShareRole', data: { ownerId: 'a', role: 'editor', now: at(1) } }).then([changed]);
    given([shared]).when({ type: 'ChangeShareRole', data: { ownerId: 'a', role: 'viewer', now: at(1) } }).then([]);
    given([shared]).when({ type: 'ChangeShareRole', data: { ownerId: 'b', role: 'editor', now: at(1) } }).thenThrows(ShareNotFoundError);
  });

  it('revokes once; a revoked share is not found', () => {
    const revoked: ShareEvent = { type: 'ShareRevoked', data: { ...item, revokedAt: at(2).toISOString() } };
    given([shared]).when({ type: 'RevokeShare', data: { ownerId: 'a', now: at(2) } }).then([revoked]);
    given([shared]).when({ type: 'RevokeShare', data: { ownerId: 'b', now: at(2) } }).thenThrows(ShareNotFoundError);
    given([shared, revoked]).when({ type: 'RevokeShare', data: { ownerId: 'a', now: at(3) } }).thenThrows(ShareNotFoundError);
    given([shared, revoked]).when({ type: 'ChangeShareRole', data: { ownerId: 'a', role: 'editor', now: at(3) } }).thenThrows(ShareNotFoundError);
    given([]).when({ type: 'RevokeShare', data: { ownerId: 'a', now: at(2) } }).thenThrows(ShareNotFoundError);
  });
});

describe('link decider', () => {
  const given = deciderSpec(linkDecider);
  const ids = { linkId: 'l1', ownerId: 'a', kind: 'file' as const, itemId: 'f1' };
  const created = (maxDownloads: number | null, expiresAt: Date | null = at(60)): LinkEvent => ({
    type: 'LinkCreated',
    data: { ...ids, tokenHash: 'h', passwordHash: null, expiresAt: expiresAt?.toISOString() ?? null, maxDownloads, createdAt: t0.toISOString() },
  });
  const download = (minutes: number) => ({ type: 'UseLink' as const, data: { action: 'download' as const, now: at(minutes) } });
  const accessed = (minutes: number, outcome: 'allowed' | 'download-limit' | 'wrong-password', downloads: number, action: 'download' | 'view' | 'unlock' = 'download'): LinkEvent => ({
    type: 'LinkAccessed',
    data: { ...ids, action, outcome, downloads, at: at(minutes).toISOString() },
  });

  it('makes a link once', () => {
    given([]).when({ type: 'CreateLink', data: { ...ids, tokenHash: 'h', passwordHash: null, expiresAt: at(60), maxDownloads: 2, now: t0 } }).then([created(2)]);
    given([created(2)]).when({ type: 'CreateLink', data: { ...ids, tokenHash: 'h', passwordHash: null, expiresAt: at(60), maxDownloads: 2, now: t0 } }).thenThrows(LinkExistsError);
  });

  it('counts downloads against the limit: the third of a limit-2 link is refused, and recorded as refused', () => {
    given([created(2)]).when(download(1)).then([accessed(1, 'allowed', 1)]);
    given([created(2), accessed(1, 'allowed', 1)]).when(download(2)).then([accessed(2, 'allowed', 2)]);
    given([created(2), accessed(1, 'allowed', 1), accessed(2, 'allowed', 2)]).when(download(3)).then([accessed(3, 'download-limit', 2)]);
    // a refused download and a wrong password count nothing
    given([created(2), accessed(1, 'allowed', 1), accessed(2, 'download-limit', 1), accessed(2, 'wrong-password', 1, 'unlock')]).when(download(3)).then([accessed(3, 'allowed', 2)]);
    given([created(null)]).when(download(1)).then([accessed(1, 'allowed', 1)]);
  });

  it('records views and wrong passwords without counting them', () => {
    given([created(1)]).when({ type: 'UseLink', data: { action: 'view', now: at(1) } }).then([accessed(1, 'allowed', 0, 'view')]);
    given([created(1)]).when({ type: 'UseLink', data: { action: 'unlock', wrongPassword: true, now: at(1) } }).then([accessed(1, 'wrong-password', 0, 'unlock')]);
  });

  it('an expired or revoked link cannot be used; only its owner revokes it', () => {
    given([created(2, at(10))]).when(download(10)).thenThrows(LinkNotFoundError);
    const revoked: LinkEvent = { type: 'LinkRevoked', data: { ...ids, reason: 'owner', revokedAt: at(1).toISOString() } };
    given([created(2)]).when({ type: 'RevokeLink', data: { ownerId: 'a', reason: 'owner', now: at(1) } }).then([revoked]);
    given([created(2)]).when({ type: 'RevokeLink', data: { ownerId: 'b', reason: 'owner', now: at(1) } }).thenThrows(LinkNotFoundError);
    given([created(2), revoked]).when(download(2)).thenThrows(LinkNotFoundError);
  });
});

describe('published share and link events', () => {
  it('never carry the e-mail of a share, a link token’s hash or its password’s hash', async () => {
    const { toPublished } = await import('../../src/published.js');
    const { FileEventSchemas, readPublished } = await import('@strata/contracts');
    const meta = { id: 'e1', streamId: 's', streamVersion: 1, occurredAt: t0, metadata: {}, globalPosition: 1n } as const;
    const shared = toPublished({ ...meta, type: 'ItemShared', data: { shareId: 's1', ownerId: 'a', kind: 'file', itemId: 'f1', recipientId: 'b', email: 'b@example.test', role: 'editor', sharedAt: t0.toISOString() } } as never);
    expect(JSON.stringify(shared)).not.toContain('b@example.test');
    const link = toPublished({
      ...meta,
      type: 'LinkCreated',
      data: { linkId: 'l1', ownerId: 'a', kind: 'folder', itemId: 'd1', tokenHash: 'secret-hash', passwordHash: '$argon2id$secret', expiresAt: null, maxDownloads: 2, createdAt: t0.toISOString() },
    } as never);
    expect(JSON.stringify(link)).not.toMatch(/secret/);
    expect(link.data).toMatchObject({ hasPassword: true, maxDownloads: 2 });
    // each fits its published schema
    for (const event of [shared, link]) {
      expect(readPublished(FileEventSchemas, { id: 'e1', type: event.type, data: event.data, schemaversion: 1 } as never)).toBeDefined();
    }
  });
});
