import { deciderSpec } from '@strata/event-store';
import { describe, expect, it } from 'vitest';
import { SessionEndedError, SessionExistsError, SessionNotFoundError, decideSession } from '../../src/domain/session/decide.js';
import { type SessionEvent, evolveSession, initialSessionState } from '../../src/domain/session/session.js';

const given = deciderSpec({ decide: decideSession, evolve: evolveSession, initialState: initialSessionState });
const t0 = new Date('2026-11-25T10:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

const started: SessionEvent = {
  type: 'SessionStarted',
  data: {
    sessionId: 's1',
    userId: 'u1',
    refreshTokenHash: 'h1',
    startedAt: t0.toISOString(),
    idleTimeoutSeconds: 1800,
    absoluteLifetimeSeconds: 43_200,
  },
};
const refreshed = (hash: string, seconds: number): SessionEvent => ({
  type: 'SessionRefreshed',
  data: { sessionId: 's1', userId: 'u1', refreshTokenHash: hash, refreshedAt: at(seconds).toISOString() },
});
const revoked = (reason: 'logout' | 'revoked' | 'refresh-token-reuse' | 'idle-timeout' | 'lifetime-exceeded', seconds: number, by = 'system'): SessionEvent => ({
  type: 'SessionRevoked',
  data: { sessionId: 's1', userId: 'u1', reason, revokedBy: by, revokedAt: at(seconds).toISOString() },
});
const refresh = (presented: string, next: string, seconds: number, liveRecordMissing = false) => ({
  type: 'RefreshSession' as const,
  data: { presentedTokenHash: presented, newTokenHash: next, now: at(seconds), liveRecordMissing },
});

describe('session decider', () => {
  it('starts a session once', () => {
    const start = {
      type: 'StartSession' as const,
      data: { sessionId: 's1', userId: 'u1', refreshTokenHash: 'h1', idleTimeoutSeconds: 1800, absoluteLifetimeSeconds: 43_200, now: t0 },
    };
    given([]).when(start).then([started]);
    given([started]).when(start).thenThrows(SessionExistsError);
  });

  it('rotates the refresh token', () => {
    given([started]).when(refresh('h1', 'h2', 60)).then([refreshed('h2', 60)]);
    given([started, refreshed('h2', 60)]).when(refresh('h2', 'h3', 120)).then([refreshed('h3', 120)]);
  });

  it('ends the whole session when an old refresh token comes back', () => {
    given([started, refreshed('h2', 60)]).when(refresh('h1', 'h3', 120)).then([revoked('refresh-token-reuse', 120)]);
  });

  it('refuses a token it never issued without ending the session', () => {
    given([started]).when(refresh('forged', 'h2', 60)).thenThrows(SessionEndedError);
  });

  it('ends an idle session, and one past its absolute lifetime', () => {
    given([started]).when(refresh('h1', 'h2', 1800)).then([revoked('idle-timeout', 1800)]);
    given([started]).when(refresh('h1', 'h2', 60, true)).then([revoked('idle-timeout', 60)]);
    const busy = [started, ...Array.from({ length: 24 }, (_, i) => refreshed(`h${i + 2}`, (i + 1) * 1790))];
    given(busy).when(refresh('h25', 'h26', 43_200)).then([revoked('lifetime-exceeded', 43_200)]);
  });

  it('refuses to refresh an ended session', () => {
    given([started, revoked('logout', 10)]).when(refresh('h1', 'h2', 20)).thenThrows(SessionEndedError);
    given([]).when(refresh('h1', 'h2', 20)).thenThrows(SessionNotFoundError);
  });

  it('lets only its owner revoke it, once', () => {
    const revoke = (userId: string) => ({ type: 'RevokeSession' as const, data: { reason: 'revoked' as const, by: `user:${userId}`, userId, now: at(30) } });
    given([started]).when(revoke('u1')).then([revoked('revoked', 30, 'user:u1')]);
    given([started]).when(revoke('someone-else')).thenThrows(SessionNotFoundError);
    given([started, revoked('logout', 10)]).when(revoke('u1')).then([]);
  });

  it('keeps every issued token hash in its state', () => {
    const state = given([started, refreshed('h2', 60)]).when(refresh('h2', 'h3', 90)).thenState();
    expect(state).toMatchObject({ status: 'active', currentTokenHash: 'h3', previousTokenHashes: ['h1', 'h2'] });
  });
});
