import { deciderSpec } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import { type AccountEvent, evolveAccount, initialAccountState, normaliseEmail } from '../../src/domain/account/account.js';
import { EmailTakenError, decideAccount } from '../../src/domain/account/decide.js';
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

  it('names the account stream by the normalised address', () => {
    expect(normaliseEmail('  Ada@Example.TEST ')).toBe('ada@example.test');
    expect(accountStream('Ada@Example.test')).toBe(accountStream('ada@example.test '));
    expect(accountStream('ada@example.test')).not.toBe(accountStream('bob@example.test'));
  });
});
