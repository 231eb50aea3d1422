import { ShareEventTypes as T } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';
import type { ShareKind } from '../share/share.js';

/*
 * A share link to one file or folder, in stream `link-<id>`. The link's token is never stored,
 * only its SHA-256 (`tokenHash`: the token is 256 random bits, so a fast hash is enough to make a
 * stolen table useless); a password only as the Argon2id hash sessions makes of it. Every public
 * use is a `LinkAccessed` in the stream: the download count is the stream's own, so the limit holds
 * under concurrent downloads (the append's expected version serialises them).
 */
export type LinkCreated = DomainEvent<
  typeof T.LinkCreated,
  {
    linkId: string;
    ownerId: string;
    kind: ShareKind;
    itemId: string;
    tokenHash: string;
    passwordHash: string | null;
    expiresAt: string | null;
    maxDownloads: number | null;
    createdAt: string;
  }
>;
/** `reason`: the owner revoked it, or the item it shares was purged. */
export type LinkRevoked = DomainEvent<typeof T.LinkRevoked, { linkId: string; ownerId: string; kind: ShareKind; itemId: string; reason: 'owner' | 'purged'; revokedAt: string }>;
export type LinkAction = 'view' | 'unlock' | 'download';
export type LinkOutcome = 'allowed' | 'wrong-password' | 'download-limit';
/** `downloads`: how many downloads the link has given, this one included. */
export type LinkAccessed = DomainEvent<
  typeof T.LinkAccessed,
  { linkId: string; ownerId: string; kind: ShareKind; itemId: string; action: LinkAction; outcome: LinkOutcome; downloads: number; at: string }
>;

export type LinkEvent = LinkCreated | LinkRevoked | LinkAccessed;

export type LinkState =
  | { status: 'none' }
  | {
      status: 'active' | 'revoked';
      linkId: string;
      ownerId: string;
      kind: ShareKind;
      itemId: string;
      passwordHash: string | null;
      expiresAt: string | null;
      maxDownloads: number | null;
      downloads: number;
      createdAt: string;
    };

export const initialLinkState: LinkState = { status: 'none' };

export function evolveLink(state: LinkState, event: LinkEvent): LinkState {
  if (event.type === T.LinkCreated) {
    const { linkId, ownerId, kind, itemId, passwordHash, expiresAt, maxDownloads, createdAt } = event.data;
    return { status: 'active', linkId, ownerId, kind, itemId, passwordHash, expiresAt, maxDownloads, downloads: 0, createdAt };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case T.LinkRevoked:
      return { ...state, status: 'revoked' };
    case T.LinkAccessed:
      return event.data.action === 'download' && event.data.outcome === 'allowed' ? { ...state, downloads: event.data.downloads } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
}

export const linkStream = (linkId: string) => `link-${linkId}`;
