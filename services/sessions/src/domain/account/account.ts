import { SessionEventTypes as T } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';

/**
 * An account is one stream per normalised e-mail address (`account-<sha256(email)>`), so that
 * "this address is taken" is decided by the event store's expected version alone: two concurrent
 * registrations of the same address cannot both create the stream.
 */
export type UserRegistered = DomainEvent<
  typeof T.UserRegistered,
  { userId: string; email: string; displayName: string; passwordHash: string; registeredAt: string }
>;
/** The password's hash, recomputed at a stronger cost (or algorithm) at a successful sign-in. */
export type PasswordRehashed = DomainEvent<typeof T.PasswordRehashed, { userId: string; passwordHash: string; rehashedAt: string }>;
export type AccountEvent = UserRegistered | PasswordRehashed;

export type AccountState =
  | { status: 'none' }
  | { status: 'registered'; userId: string; email: string; displayName: string; passwordHash: string };

export const initialAccountState: AccountState = { status: 'none' };

export function evolveAccount(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case T.UserRegistered:
      return {
        status: 'registered',
        userId: event.data.userId,
        email: event.data.email,
        displayName: event.data.displayName,
        passwordHash: event.data.passwordHash,
      };
    case T.PasswordRehashed:
      return state.status === 'registered' ? { ...state, passwordHash: event.data.passwordHash } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** E-mail addresses compare case-insensitively (and without surrounding blanks). */
export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}
