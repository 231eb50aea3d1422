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
/** The owner set a new password, the current one given (POST /me/password). */
export type PasswordChanged = DomainEvent<typeof T.PasswordChanged, { userId: string; passwordHash: string; changedAt: string }>;
/**
 * A reset token was mailed to the account's address. Only the token's SHA-256 is stored: the
 * token is 256 random bits, so its hash needs no salt or slow hashing to be useless to a reader.
 */
export type PasswordResetRequested = DomainEvent<
  typeof T.PasswordResetRequested,
  { userId: string; tokenHash: string; requestedAt: string; expiresAt: string }
>;
/** The password was set with a reset token, which (like every other outstanding one) is spent. */
export type PasswordReset = DomainEvent<typeof T.PasswordReset, { userId: string; tokenHash: string; passwordHash: string; resetAt: string }>;
export type DisplayNameChanged = DomainEvent<typeof T.DisplayNameChanged, { userId: string; displayName: string; changedAt: string }>;
export type AccountEvent = UserRegistered | PasswordRehashed | PasswordChanged | PasswordResetRequested | PasswordReset | DisplayNameChanged;

export interface PendingReset {
  tokenHash: string;
  expiresAt: Date;
}

export type AccountState =
  | { status: 'none' }
  | {
      status: 'registered';
      userId: string;
      email: string;
      displayName: string;
      passwordHash: string;
      /** Reset tokens mailed and not yet spent (expired ones are refused by decide, and dropped on the next request). */
      pendingResets: PendingReset[];
    };

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
        pendingResets: [],
      };
    case T.PasswordRehashed:
      return state.status === 'registered' ? { ...state, passwordHash: event.data.passwordHash } : state;
    // a new password, however it was set, voids every reset token mailed before it
    case T.PasswordChanged:
      return state.status === 'registered' ? { ...state, passwordHash: event.data.passwordHash, pendingResets: [] } : state;
    case T.PasswordReset:
      return state.status === 'registered' ? { ...state, passwordHash: event.data.passwordHash, pendingResets: [] } : state;
    case T.PasswordResetRequested: {
      if (state.status !== 'registered') return state;
      const requestedAt = new Date(event.data.requestedAt).getTime();
      const live = state.pendingResets.filter((r) => r.expiresAt.getTime() > requestedAt);
      return { ...state, pendingResets: [...live, { tokenHash: event.data.tokenHash, expiresAt: new Date(event.data.expiresAt) }] };
    }
    case T.DisplayNameChanged:
      return state.status === 'registered' ? { ...state, displayName: event.data.displayName } : state;
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
