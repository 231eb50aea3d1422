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
export type AccountCommand = RegisterUser | RehashPassword;

export class EmailTakenError extends Error {
  constructor() {
    super('this e-mail address is already registered');
    this.name = 'EmailTakenError';
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
    default: {
      const never: never = command;
      return never;
    }
  }
}
