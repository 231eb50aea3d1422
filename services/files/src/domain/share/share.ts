import { ShareEventTypes as T } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';

export type ShareKind = 'file' | 'folder';
export type ShareRole = 'viewer' | 'editor';

/*
 * A share of one file or folder with one other user, in stream `share-<id>`. The owner is in the
 * first event and every command names the user it acts for, so someone else's share is "not found"
 * to the decider itself. `email` is the address the owner typed: kept in the log and the owner's
 * list of shares, never published.
 */
export type ItemShared = DomainEvent<
  typeof T.ItemShared,
  { shareId: string; ownerId: string; kind: ShareKind; itemId: string; recipientId: string; email: string; role: ShareRole; sharedAt: string }
>;
export type ShareRoleChanged = DomainEvent<
  typeof T.ShareRoleChanged,
  { shareId: string; ownerId: string; kind: ShareKind; itemId: string; recipientId: string; from: ShareRole; to: ShareRole; changedAt: string }
>;
export type ShareRevoked = DomainEvent<typeof T.ShareRevoked, { shareId: string; ownerId: string; kind: ShareKind; itemId: string; recipientId: string; revokedAt: string }>;

export type ShareEvent = ItemShared | ShareRoleChanged | ShareRevoked;

export type ShareState =
  | { status: 'none' }
  | { status: 'active' | 'revoked'; shareId: string; ownerId: string; kind: ShareKind; itemId: string; recipientId: string; email: string; role: ShareRole; createdAt: string };

export const initialShareState: ShareState = { status: 'none' };

export function evolveShare(state: ShareState, event: ShareEvent): ShareState {
  if (event.type === T.ItemShared) {
    const { shareId, ownerId, kind, itemId, recipientId, email, role, sharedAt } = event.data;
    return { status: 'active', shareId, ownerId, kind, itemId, recipientId, email, role, createdAt: sharedAt };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case T.ShareRoleChanged:
      return { ...state, role: event.data.to };
    case T.ShareRevoked:
      return { ...state, status: 'revoked' };
    default: {
      const never: never = event;
      return never;
    }
  }
}

export const shareStream = (shareId: string) => `share-${shareId}`;
