import { Value } from '@sinclair/typebox/value';
import { SessionEventSchemas, SessionEventTypes } from '@strata/contracts';
import type { EventMetadata, RecordedEvent } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import type { SessionStarted } from '../src/domain/session/session.js';
import { type SessionsEvent, toPublished } from '../src/published.js';
import { accountDecider, clientDecider, sessionDecider } from '../src/streams.js';

const t0 = new Date('2026-11-25T10:00:00Z');
const later = new Date(t0.getTime() + 60_000);
const metadata: EventMetadata = { actor: 'user:u1', address: '203.0.113.5', userAgent: 'Firefox/140' };
const recorded = <E extends SessionsEvent>(event: E): RecordedEvent<E> => ({
  ...event,
  id: 'e-1',
  schemaVersion: 1,
  streamId: 's',
  streamVersion: 1,
  globalPosition: 1,
  transactionId: '1',
  occurredAt: t0,
  metadata,
});

// every kind of event the service stores, as its deciders make them
const account = accountDecider.decide({ type: 'RegisterUser', data: { userId: 'u1', email: 'a@example.test', displayName: 'A', passwordHash: '$argon2id$secret-hash', now: t0 } }, accountDecider.initialState);
const rehashed = accountDecider.decide(
  { type: 'RehashPassword', data: { userId: 'u1', previousHash: '$argon2id$secret-hash', passwordHash: '$argon2id$new-secret-hash', now: later } },
  account.reduce(accountDecider.evolve, accountDecider.initialState),
);
const afterRehash = [...account, ...rehashed].reduce(accountDecider.evolve, accountDecider.initialState);
const changed = accountDecider.decide(
  { type: 'ChangePassword', data: { userId: 'u1', previousHash: '$argon2id$new-secret-hash', passwordHash: '$argon2id$changed-secret-hash', now: later } },
  afterRehash,
);
const afterChange = changed.reduce(accountDecider.evolve, afterRehash);
const resetRequested = accountDecider.decide(
  { type: 'RequestPasswordReset', data: { userId: 'u1', tokenHash: 'reset-secret-hash', expiresAt: new Date(later.getTime() + 1_800_000), now: later } },
  afterChange,
);
const afterRequest = resetRequested.reduce(accountDecider.evolve, afterChange);
const reset = accountDecider.decide(
  { type: 'ResetPassword', data: { userId: 'u1', tokenHash: 'reset-secret-hash', passwordHash: '$argon2id$reset-secret-hash', now: later } },
  afterRequest,
);
const renamed = accountDecider.decide({ type: 'ChangeDisplayName', data: { userId: 'u1', displayName: 'Ann', now: later } }, reset.reduce(accountDecider.evolve, afterRequest));
const started = sessionDecider.decide(
  { type: 'StartSession', data: { sessionId: 's1', userId: 'u1', refreshTokenHash: 'refresh-secret-1', idleTimeoutSeconds: 1800, absoluteLifetimeSeconds: 43_200, now: t0 } },
  sessionDecider.initialState,
);
const afterStart = started.reduce(sessionDecider.evolve, sessionDecider.initialState);
const refreshed = sessionDecider.decide(
  { type: 'RefreshSession', data: { presentedTokenHash: 'refresh-secret-1', newTokenHash: 'refresh-secret-2', now: later, liveRecordMissing: false } },
  afterStart,
);
const revoked = sessionDecider.decide({ type: 'RevokeSession', data: { reason: 'logout', by: 'user:u1', userId: 'u1', now: later } }, refreshed.reduce(sessionDecider.evolve, afterStart));
const client = clientDecider.decide(
  { type: 'RegisterPartnerClient', data: { clientId: 'acme', name: 'Acme', secretHash: 'client-secret-hash', scopes: ['files:read'], plan: 'partner', now: t0 } },
  clientDecider.initialState,
);
const events: SessionsEvent[] = [...account, ...rehashed, ...changed, ...resetRequested, ...reset, ...renamed, ...started, ...refreshed, ...revoked, ...client];

describe('sessions.events: what is published of each domain event', () => {
  it("keeps a client's rotated secret and changed scopes in sessions", () => {
    const active = client.reduce(clientDecider.evolve, clientDecider.initialState);
    const owned = { ...active, ownerUserId: 'u1' } as typeof active;
    const rotated = clientDecider.decide({ type: 'RotatePartnerClientSecret', data: { secretHash: 'client-secret-hash-2', byUserId: 'u1', now: t0 } }, owned);
    const scoped = clientDecider.decide({ type: 'ChangePartnerClientScopes', data: { scopes: ['files:write'], byUserId: 'u1', now: t0 } }, owned);
    for (const event of [...rotated, ...scoped]) expect(toPublished(recorded(event))).toBeNull();
  });

  it('maps every kind of event to its v1 contract, exactly (no member the schema does not name)', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(Object.values(SessionEventTypes)));
    for (const event of events) {
      const published = toPublished(recorded(event));
      if (!published) throw new Error(`${event.type} is not published`);
      expect(published.type).toBe(event.type);
      const schema = SessionEventSchemas[published.type][published.schemaVersion];
      expect(Value.Check(schema, published.data), `${event.type}: ${JSON.stringify([...Value.Errors(schema, published.data)])}`).toBe(true);
    }
  });

  it('never publishes a password, reset-token, refresh-token or client-secret hash, nor the caller’s address or user agent', () => {
    for (const event of events) {
      const text = JSON.stringify(toPublished(recorded(event)));
      for (const secret of ['secret-hash', 'refresh-secret', 'client-secret', 'Hash"', '203.0.113.5', 'Firefox']) expect(text, event.type).not.toContain(secret);
    }
  });

  it('leaves out a member a domain event gains until the mapping names it, and what older events held in their data', () => {
    const start = started[0] as SessionStarted;
    const older = { ...start, data: { ...start.data, device: 'Chrome on Linux', address: '198.51.100.1', recoveryCodeHash: 'hash' } };
    expect(toPublished(recorded(older))).toEqual(toPublished(recorded(start)));
    // and evolve keeps none of it
    expect(sessionDecider.evolve(sessionDecider.initialState, older)).toEqual(afterStart);
  });
});
