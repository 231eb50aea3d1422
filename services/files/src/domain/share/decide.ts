import { ShareEventTypes as T } from '@strata/contracts';
import type { ShareEvent, ShareKind, ShareRole, ShareState } from './share.js';

export class ShareNotFoundError extends Error {
  constructor() {
    super('No such share.');
    this.name = 'ShareNotFoundError';
  }
}
export class ShareExistsError extends Error {
  constructor() {
    super('The share exists already.');
    this.name = 'ShareExistsError';
  }
}
export class ShareWithSelfError extends Error {
  constructor() {
    super('An item cannot be shared with its owner.');
    this.name = 'ShareWithSelfError';
  }
}

/** The item is the owner's (the route checked it, in the read model): the decider keeps the rest. */
export type CreateShare = {
  type: 'CreateShare';
  data: { shareId: string; ownerId: string; kind: ShareKind; itemId: string; recipientId: string; email: string; role: ShareRole; now: Date };
};
export type ChangeShareRole = { type: 'ChangeShareRole'; data: { ownerId: string; role: ShareRole; now: Date } };
export type RevokeShare = { type: 'RevokeShare'; data: { ownerId: string; now: Date } };

export type ShareCommand = CreateShare | ChangeShareRole | RevokeShare;

function liveShare(state: ShareState, ownerId: string) {
  if (state.status !== 'active' || state.ownerId !== ownerId) throw new ShareNotFoundError();
  return state;
}

export function decideShare(command: ShareCommand, state: ShareState): ShareEvent[] {
  switch (command.type) {
    case 'CreateShare': {
      if (state.status !== 'none') throw new ShareExistsError();
      const { shareId, ownerId, kind, itemId, recipientId, email, role, now } = command.data;
      if (recipientId === ownerId) throw new ShareWithSelfError();
      return [{ type: T.ItemShared, data: { shareId, ownerId, kind, itemId, recipientId, email, role, sharedAt: now.toISOString() } }];
    }
    case 'ChangeShareRole': {
      const share = liveShare(state, command.data.ownerId);
      if (share.role === command.data.role) return [];
      const { shareId, ownerId, kind, itemId, recipientId } = share;
      return [{ type: T.ShareRoleChanged, data: { shareId, ownerId, kind, itemId, recipientId, from: share.role, to: command.data.role, changedAt: command.data.now.toISOString() } }];
    }
    case 'RevokeShare': {
      const { shareId, ownerId, kind, itemId, recipientId } = liveShare(state, command.data.ownerId);
      return [{ type: T.ShareRevoked, data: { shareId, ownerId, kind, itemId, recipientId, revokedAt: command.data.now.toISOString() } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
