import { ShareEventTypes as T } from '@strata/contracts';
import type { ShareKind } from '../share/share.js';
import type { LinkAction, LinkEvent, LinkState } from './link.js';

export class LinkNotFoundError extends Error {
  constructor() {
    super('No such link.');
    this.name = 'LinkNotFoundError';
  }
}
export class LinkExistsError extends Error {
  constructor() {
    super('The link exists already.');
    this.name = 'LinkExistsError';
  }
}

export type CreateLink = {
  type: 'CreateLink';
  data: { linkId: string; ownerId: string; kind: ShareKind; itemId: string; tokenHash: string; passwordHash: string | null; expiresAt: Date | null; maxDownloads: number | null; now: Date };
};
export type RevokeLink = { type: 'RevokeLink'; data: { ownerId: string; reason: 'owner' | 'purged'; now: Date } };
/**
 * A public use of the link. `download`: counted against the limit (refused, and recorded as
 * refused, past it); `view` and `unlock` are recorded with the outcome the route found (a wrong
 * password is recorded too).
 */
export type UseLink = { type: 'UseLink'; data: { action: LinkAction; wrongPassword?: boolean; now: Date } };

export type LinkCommand = CreateLink | RevokeLink | UseLink;

/** A link that can be used at `now`: not revoked, not expired. */
export function usable(state: LinkState, now: Date): state is Exclude<LinkState, { status: 'none' }> {
  return state.status === 'active' && (state.expiresAt === null || Date.parse(state.expiresAt) > now.getTime());
}

export function decideLink(command: LinkCommand, state: LinkState): LinkEvent[] {
  switch (command.type) {
    case 'CreateLink': {
      if (state.status !== 'none') throw new LinkExistsError();
      const { linkId, ownerId, kind, itemId, tokenHash, passwordHash, expiresAt, maxDownloads, now } = command.data;
      return [
        {
          type: T.LinkCreated,
          data: { linkId, ownerId, kind, itemId, tokenHash, passwordHash, expiresAt: expiresAt?.toISOString() ?? null, maxDownloads, createdAt: now.toISOString() },
        },
      ];
    }
    case 'RevokeLink': {
      if (state.status !== 'active' || state.ownerId !== command.data.ownerId) throw new LinkNotFoundError();
      const { linkId, ownerId, kind, itemId } = state;
      return [{ type: T.LinkRevoked, data: { linkId, ownerId, kind, itemId, reason: command.data.reason, revokedAt: command.data.now.toISOString() } }];
    }
    case 'UseLink': {
      const { action, wrongPassword = false, now } = command.data;
      if (!usable(state, now)) throw new LinkNotFoundError();
      const { linkId, ownerId, kind, itemId } = state;
      const base = { linkId, ownerId, kind, itemId, action, at: now.toISOString() };
      if (wrongPassword) return [{ type: T.LinkAccessed, data: { ...base, outcome: 'wrong-password', downloads: state.downloads } }];
      if (action !== 'download') return [{ type: T.LinkAccessed, data: { ...base, outcome: 'allowed', downloads: state.downloads } }];
      if (state.maxDownloads !== null && state.downloads >= state.maxDownloads) {
        return [{ type: T.LinkAccessed, data: { ...base, outcome: 'download-limit', downloads: state.downloads } }];
      }
      return [{ type: T.LinkAccessed, data: { ...base, outcome: 'allowed', downloads: state.downloads + 1 } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
