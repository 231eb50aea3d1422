import { SessionEventTypes as T } from '@strata/contracts';
import type { DomainEvent } from '@strata/event-store';

/**
 * A sign-in session, one stream per session (`session-<sid>`). The refresh token rotates on every
 * use; the stream keeps the hashes of every token it has issued, so a token presented again after
 * it was rotated is recognised as stolen and ends the whole session (RFC 6819 5.2.2.3).
 *
 * The device and the address a session is used from are the transport context of the requests
 * that start and refresh it: event metadata (`userAgent`, `address`), not event data. Events
 * stored before that rule hold them in their data too; evolve does not read them.
 */
export type SessionStarted = DomainEvent<
  typeof T.SessionStarted,
  {
    sessionId: string;
    userId: string;
    refreshTokenHash: string;
    startedAt: string;
    idleTimeoutSeconds: number;
    absoluteLifetimeSeconds: number;
  }
>;
export type SessionRefreshed = DomainEvent<typeof T.SessionRefreshed, { sessionId: string; userId: string; refreshTokenHash: string; refreshedAt: string }>;
export type RevocationReason =
  | 'logout'
  | 'revoked'
  | 'refresh-token-reuse'
  | 'idle-timeout'
  | 'lifetime-exceeded'
  | 'signed-out-everywhere'
  | 'password-changed'
  | 'password-reset';
/** The reasons a user's own action (or a reset of their password) ends a session for. */
export type UserRevocationReason = Extract<RevocationReason, 'logout' | 'revoked' | 'signed-out-everywhere' | 'password-changed' | 'password-reset'>;
export type SessionRevoked = DomainEvent<
  typeof T.SessionRevoked,
  { sessionId: string; userId: string; reason: RevocationReason; revokedBy: string; revokedAt: string }
>;
export type SessionEvent = SessionStarted | SessionRefreshed | SessionRevoked;

export type SessionState =
  | { status: 'none' }
  | {
      status: 'active' | 'revoked';
      sessionId: string;
      userId: string;
      startedAt: Date;
      lastSeenAt: Date;
      currentTokenHash: string;
      previousTokenHashes: string[];
      idleTimeoutSeconds: number;
      absoluteLifetimeSeconds: number;
      revokedReason?: RevocationReason;
    };

export const initialSessionState: SessionState = { status: 'none' };

export function evolveSession(state: SessionState, event: SessionEvent): SessionState {
  switch (event.type) {
    case T.SessionStarted: {
      const d = event.data;
      return {
        status: 'active',
        sessionId: d.sessionId,
        userId: d.userId,
        startedAt: new Date(d.startedAt),
        lastSeenAt: new Date(d.startedAt),
        currentTokenHash: d.refreshTokenHash,
        previousTokenHashes: [],
        idleTimeoutSeconds: d.idleTimeoutSeconds,
        absoluteLifetimeSeconds: d.absoluteLifetimeSeconds,
      };
    }
    case T.SessionRefreshed:
      if (state.status === 'none') return state;
      return {
        ...state,
        lastSeenAt: new Date(event.data.refreshedAt),
        previousTokenHashes: [...state.previousTokenHashes, state.currentTokenHash],
        currentTokenHash: event.data.refreshTokenHash,
      };
    case T.SessionRevoked:
      if (state.status === 'none') return state;
      return { ...state, status: 'revoked', revokedReason: event.data.reason };
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** When the session ends by itself if nothing happens: the earlier of idle and absolute limits. */
export function sessionExpiresAt(state: Extract<SessionState, { status: 'active' | 'revoked' }>): Date {
  const idle = state.lastSeenAt.getTime() + state.idleTimeoutSeconds * 1000;
  const absolute = state.startedAt.getTime() + state.absoluteLifetimeSeconds * 1000;
  return new Date(Math.min(idle, absolute));
}
