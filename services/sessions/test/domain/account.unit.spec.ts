import { deciderSpec } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import { type AccountEvent, evolveAccount, initialAccountState, normaliseEmail } from '../../src/domain/account/account.js';
import {
  AccountNotFoundError,
  EmailTakenError,
  PasswordChangedMeanwhileError,
  ResetTokenInvalidError,
  decideAccount,
} from '../../src/domain/account/decide.js';
import { accountStream } from '../../src/streams.js';

const given = deciderSpec({ decide: decideAccount, evolve: evolveAccount, initialState: initialAccountState });
const now = new Date('2026-11-25T10:00:00Z');
const register = { type: 'RegisterUser' as const, data: { userId: 'u1', email: 'Ada@Example.test', displayName: 'Ada', passwordHash: 'scrypt$x', now } };
const registered: AccountEvent = {
  type: 'UserRegistered',
  data: { userId: 'u1', email: 'Ada@Example.test', displayName: 'Ada', passwordHash: 'scrypt$x', registeredAt: now.toISOString() },
};

describe('account decider', () => {
  it('registers a new address once', () => {
    given([]).when(register).then([registered]);
    given([registered]).when(register).thenThrows(EmailTakenError);
  });

  it('replaces the hash a sign-in verified, once', () => {
    const rehash = { type: 'RehashPassword' as const, data: { userId: 'u1', previousHash: 'scrypt$x', passwordHash: '$argon2id$new', now } };
    const rehashed: AccountEvent = { type: 'PasswordRehashed', data: { userId: 'u1', passwordHash: '$argon2id$new', rehashedAt: now.toISOString() } };
    given([registered]).when(rehash).then([rehashed]);
    // a concurrent sign-in rehashed first: its hash stays
    given([registered, rehashed]).when(rehash).then([]);
    given([]).when(rehash).then([]);
    given([registered]).when({ ...rehash, data: { ...rehash.data, userId: 'u2' } }).then([]);
    expect([registered, rehashed].reduce(evolveAccount, initialAccountState)).toMatchObject({ status: 'registered', passwordHash: '$argon2id$new' });
  });

  it('changes the password only against the hash the current password was checked with', () => {
    const change = { type: 'ChangePassword' as const, data: { userId: 'u1', previousHash: 'scrypt$x', passwordHash: '$argon2id$next', now } };
    const changed: AccountEvent = { type: 'PasswordChanged', data: { userId: 'u1', passwordHash: '$argon2id$next', changedAt: now.toISOString() } };
    given([registered]).when(change).then([changed]);
    // changed (or reset) in between: the caller must check the new password first
    given([registered, changed]).when(change).thenThrows(PasswordChangedMeanwhileError);
    given([]).when(change).thenThrows(AccountNotFoundError);
    given([registered]).when({ ...change, data: { ...change.data, userId: 'u2' } }).thenThrows(AccountNotFoundError);
  });

  describe('password reset', () => {
    const later = new Date(now.getTime() + 60_000);
    const expiresAt = new Date(now.getTime() + 1_800_000);
    const request = { type: 'RequestPasswordReset' as const, data: { userId: 'u1', tokenHash: 'h1', expiresAt, now } };
    const requested: AccountEvent = {
      type: 'PasswordResetRequested',
      data: { userId: 'u1', tokenHash: 'h1', requestedAt: now.toISOString(), expiresAt: expiresAt.toISOString() },
    };
    const reset = { type: 'ResetPassword' as const, data: { userId: 'u1', tokenHash: 'h1', passwordHash: '$argon2id$r', now: later } };
    const wasReset: AccountEvent = { type: 'PasswordReset', data: { userId: 'u1', tokenHash: 'h1', passwordHash: '$argon2id$r', resetAt: later.toISOString() } };

    it('is asked for a registered account only', () => {
      given([registered]).when(request).then([requested]);
      given([]).when(request).thenThrows(AccountNotFoundError);
    });

    it('sets the password with a mailed token, once', () => {
      given([registered, requested]).when(reset).then([wasReset]);
      given([registered, requested, wasReset]).when(reset).thenThrows(ResetTokenInvalidError);
      expect([registered, requested, wasReset].reduce(evolveAccount, initialAccountState)).toMatchObject({ passwordHash: '$argon2id$r', pendingResets: [] });
    });

    it('refuses a token never mailed, one of another account, and one past its expiry', () => {
      given([registered, requested]).when({ ...reset, data: { ...reset.data, tokenHash: 'h2' } }).thenThrows(ResetTokenInvalidError);
      given([registered, requested]).when({ ...reset, data: { ...reset.data, userId: 'u2' } }).thenThrows(ResetTokenInvalidError);
      given([registered, requested]).when({ ...reset, data: { ...reset.data, now: expiresAt } }).thenThrows(ResetTokenInvalidError);
      given([registered]).when(reset).thenThrows(ResetTokenInvalidError);
    });

    it('voids every outstanding token when the password changes, and when one of them is used', () => {
      const changed: AccountEvent = { type: 'PasswordChanged', data: { userId: 'u1', passwordHash: '$argon2id$c', changedAt: now.toISOString() } };
      given([registered, requested, changed]).when(reset).thenThrows(ResetTokenInvalidError);
      const second: AccountEvent = { type: 'PasswordResetRequested', data: { ...requested.data, tokenHash: 'h2' } } as AccountEvent;
      // both mailed tokens work until one is used; then neither does
      given([registered, requested, second]).when({ ...reset, data: { ...reset.data, tokenHash: 'h2' } }).then([{ ...wasReset, data: { ...wasReset.data, tokenHash: 'h2' } } as AccountEvent]);
      given([registered, requested, second, wasReset]).when({ ...reset, data: { ...reset.data, tokenHash: 'h2' } }).thenThrows(ResetTokenInvalidError);
    });

    it('forgets expired tokens when a new one is asked for', () => {
      const muchLater = new Date(expiresAt.getTime() + 1);
      const again: AccountEvent = {
        type: 'PasswordResetRequested',
        data: { userId: 'u1', tokenHash: 'h3', requestedAt: muchLater.toISOString(), expiresAt: new Date(muchLater.getTime() + 1_800_000).toISOString() },
      };
      const state = [registered, requested, again].reduce(evolveAccount, initialAccountState);
      expect(state.status === 'registered' && state.pendingResets.map((p) => p.tokenHash)).toEqual(['h3']);
    });
  });

  it('changes the display name, and says nothing when it is the same', () => {
    const rename = { type: 'ChangeDisplayName' as const, data: { userId: 'u1', displayName: 'Ada L.', now } };
    given([registered]).when(rename).then([{ type: 'DisplayNameChanged', data: { userId: 'u1', displayName: 'Ada L.', changedAt: now.toISOString() } }]);
    given([registered]).when({ ...rename, data: { ...rename.data, displayName: 'Ada' } }).then([]);
    given([]).when(rename).thenThrows(AccountNotFoundError);
  });

  it('names the account stream by the normalised address', () => {
    expect(normaliseEmail('  Ada@Example.TEST ')).toBe('ada@example.test');
    expect(accountStream('Ada@Example.test')).toBe(accountStream('ada@example.test '));
    expect(accountStream('ada@example.test')).not.toBe(accountStream('bob@example.test'));
  });
});
