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

  it('names the account stream by the normalised address', () => {
    expect(normaliseEmail('  Ada@Example.TEST ')).toBe('ada@example.test');
    expect(accountStream('Ada@Example.test')).toBe(accountStream('ada@example.test '));
    expect(accountStream('ada@example.test')).not.toBe(accountStream('bob@example.test'));
  });
});
