import { SessionEventTypes as T } from '@strata/contracts';
import type { AccountEvent, AccountState } from './account.js';

export type RegisterUser = {
  type: 'RegisterUser';
  data: { userId: string; email: string; displayName: string; passwordHash: string; now: Date };
};
/** Replaces `previousHash`, the hash the password was just verified against. */
export type RehashPassword = {
  type: 'RehashPassword';
  data: { userId: string; previousHash: string; passwordHash: string; now: Date };
};
/**
 * Sets a new password; `previousHash` is the hash the current password was verified against, so a
 * change (or reset) that landed between the check and this command is not silently overwritten.
 */
export type ChangePassword = {
  type: 'ChangePassword';
  data: { userId: string; previousHash: string; passwordHash: string; now: Date };
};
export type RequestPasswordReset = {
  type: 'RequestPasswordReset';
  data: { userId: string; tokenHash: string; expiresAt: Date; now: Date };
};
export type ResetPassword = {
  type: 'ResetPassword';
  data: { userId: string; tokenHash: string; passwordHash: string; now: Date };
};
export type ChangeDisplayName = {
  type: 'ChangeDisplayName';
  data: { userId: string; displayName: string; now: Date };
};
export type AccountCommand = RegisterUser | RehashPassword | ChangePassword | RequestPasswordReset | ResetPassword | ChangeDisplayName;

export class EmailTakenError extends Error {
  constructor() {
    super('this e-mail address is already registered');
    this.name = 'EmailTakenError';
  }
}
export class AccountNotFoundError extends Error {
  constructor() {
    super('no such account');
    this.name = 'AccountNotFoundError';
  }
}
/** The password changed since it was verified: the caller verifies again against the new one. */
export class PasswordChangedMeanwhileError extends Error {
  constructor() {
    super('the password changed since it was checked');
    this.name = 'PasswordChangedMeanwhileError';
  }
}
/** Unknown, spent or expired: one error for all three, so an answer tells a guesser nothing. */
export class ResetTokenInvalidError extends Error {
  constructor() {
    super('this reset token is not valid');
    this.name = 'ResetTokenInvalidError';
  }
}

export function decideAccount(command: AccountCommand, state: AccountState): AccountEvent[] {
  switch (command.type) {
    case 'RegisterUser': {
      if (state.status !== 'none') throw new EmailTakenError();
      const { userId, email, displayName, passwordHash, now } = command.data;
      return [{ type: T.UserRegistered, data: { userId, email, displayName, passwordHash, registeredAt: now.toISOString() } }];
    }
    case 'RehashPassword': {
      const { userId, previousHash, passwordHash, now } = command.data;
      // another sign-in rehashed first: its hash stays
      if (state.status !== 'registered' || state.userId !== userId || state.passwordHash !== previousHash) return [];
      return [{ type: T.PasswordRehashed, data: { userId, passwordHash, rehashedAt: now.toISOString() } }];
    }
    case 'ChangePassword': {
      const { userId, previousHash, passwordHash, now } = command.data;
      if (state.status !== 'registered' || state.userId !== userId) throw new AccountNotFoundError();
      if (state.passwordHash !== previousHash) throw new PasswordChangedMeanwhileError();
      return [{ type: T.PasswordChanged, data: { userId, passwordHash, changedAt: now.toISOString() } }];
    }
    case 'RequestPasswordReset': {
      const { userId, tokenHash, expiresAt, now } = command.data;
      if (state.status !== 'registered' || state.userId !== userId) throw new AccountNotFoundError();
      return [{ type: T.PasswordResetRequested, data: { userId, tokenHash, requestedAt: now.toISOString(), expiresAt: expiresAt.toISOString() } }];
    }
    case 'ResetPassword': {
      const { userId, tokenHash, passwordHash, now } = command.data;
      if (state.status !== 'registered' || state.userId !== userId) throw new ResetTokenInvalidError();
      const pending = state.pendingResets.find((r) => r.tokenHash === tokenHash);
      if (!pending || pending.expiresAt.getTime() <= now.getTime()) throw new ResetTokenInvalidError();
      return [{ type: T.PasswordReset, data: { userId, tokenHash, passwordHash, resetAt: now.toISOString() } }];
    }
    case 'ChangeDisplayName': {
      const { userId, displayName, now } = command.data;
      if (state.status !== 'registered' || state.userId !== userId) throw new AccountNotFoundError();
      if (state.displayName === displayName) return [];
      return [{ type: T.DisplayNameChanged, data: { userId, displayName, changedAt: now.toISOString() } }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
