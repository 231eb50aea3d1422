import type { AccountEvent, AccountState } from './account.js';

export type RegisterUser = {
  type: 'RegisterUser';
  data: { userId: string; email: string; displayName: string; passwordHash: string; now: Date };
};
export type AccountCommand = RegisterUser;

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
      return [{ type: 'UserRegistered', data: { userId, email, displayName, passwordHash, registeredAt: now.toISOString() } }];
    }
    default: {
      const never: never = command.type;
      return never;
    }
  }
}
