import { SessionEventTypes as T } from '@strata/contracts';
import { type RevocationReason, type SessionEvent, type SessionState, type UserRevocationReason, sessionExpiresAt } from './session.js';

export type StartSession = {
  type: 'StartSession';
  data: {
    sessionId: string;
    userId: string;
    refreshTokenHash: string;
    idleTimeoutSeconds: number;
    absoluteLifetimeSeconds: number;
    now: Date;
  };
};
export type RefreshSession = {
  type: 'RefreshSession';
  data: {
    presentedTokenHash: string;
    newTokenHash: string;
    now: Date;
    /** The live record in the state store expired (its TTL is the idle timeout). */
    liveRecordMissing: boolean;
  };
};
export type RevokeSession = {
  type: 'RevokeSession';
  data: { reason: UserRevocationReason; by: string; userId: string; now: Date };
};
export type SessionCommand = StartSession | RefreshSession | RevokeSession;

/** The refresh token does not belong to a live session; the client must sign in again. */
export class SessionEndedError extends Error {
  constructor(readonly reason: string) {
    super(`session ended: ${reason}`);
    this.name = 'SessionEndedError';
  }
}
export class SessionNotFoundError extends Error {
  constructor() {
    super('no such session');
    this.name = 'SessionNotFoundError';
  }
}
export class SessionExistsError extends Error {
  constructor() {
    super('session id already used');
    this.name = 'SessionExistsError';
  }
}

/**
 * Pure: refreshing an ended session, or with a token that was already rotated, returns the events
 * that end it (the caller stores them, then refuses the request), never an error that would lose
 * the revocation.
 */
export function decideSession(command: SessionCommand, state: SessionState): SessionEvent[] {
  switch (command.type) {
    case 'StartSession': {
      if (state.status !== 'none') throw new SessionExistsError();
      const d = command.data;
      return [
        {
          type: T.SessionStarted,
          data: {
            sessionId: d.sessionId,
            userId: d.userId,
            refreshTokenHash: d.refreshTokenHash,
            startedAt: d.now.toISOString(),
            idleTimeoutSeconds: d.idleTimeoutSeconds,
            absoluteLifetimeSeconds: d.absoluteLifetimeSeconds,
          },
        },
      ];
    }
    case 'RefreshSession': {
      if (state.status === 'none') throw new SessionNotFoundError();
      if (state.status === 'revoked') throw new SessionEndedError(state.revokedReason ?? 'revoked');
      const { presentedTokenHash, newTokenHash, now, liveRecordMissing } = command.data;
      const revoke = (reason: RevocationReason): SessionEvent[] => [
        {
          type: T.SessionRevoked,
          data: { sessionId: state.sessionId, userId: state.userId, reason, revokedBy: 'system', revokedAt: now.toISOString() },
        },
      ];
      if (state.previousTokenHashes.includes(presentedTokenHash)) return revoke('refresh-token-reuse');
      if (presentedTokenHash !== state.currentTokenHash) throw new SessionEndedError('unknown refresh token');
      const lifetimeEnds = state.startedAt.getTime() + state.absoluteLifetimeSeconds * 1000;
      if (now.getTime() >= lifetimeEnds) return revoke('lifetime-exceeded');
      if (liveRecordMissing || now.getTime() >= sessionExpiresAt(state).getTime()) return revoke('idle-timeout');
      return [
        {
          type: T.SessionRefreshed,
          data: { sessionId: state.sessionId, userId: state.userId, refreshTokenHash: newTokenHash, refreshedAt: now.toISOString() },
        },
      ];
    }
    case 'RevokeSession': {
      // a session of someone else is "not found": never confirm that another user's id exists
      if (state.status === 'none' || state.userId !== command.data.userId) throw new SessionNotFoundError();
      if (state.status === 'revoked') return [];
      const { reason, by, now } = command.data;
      return [
        {
          type: T.SessionRevoked,
          data: { sessionId: state.sessionId, userId: state.userId, reason, revokedBy: by, revokedAt: now.toISOString() },
        },
      ];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
