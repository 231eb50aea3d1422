import { type PublishedSessionEvent, SessionEventTypes as T } from '@strata/contracts';
import type { RecordedEvent } from '@strata/event-store';
import type { AccountEvent } from './domain/account/account.js';
import { ClientBookkeeping, type ClientEvent } from './domain/client/client.js';
import type { SessionEvent } from './domain/session/session.js';

/** Every event the sessions service stores, in any of its streams. */
export type SessionsEvent = AccountEvent | SessionEvent | ClientEvent;

/**
 * A domain event as `sessions.events` publishes it (`@strata/contracts`, v1), member by member:
 * password, reset-token, refresh-token and client-secret hashes stay in the log, and so does anything an
 * event holds that this function does not name.
 */
export function toPublished(event: RecordedEvent<SessionsEvent>): PublishedSessionEvent | null {
  switch (event.type) {
    case T.UserRegistered: {
      const { userId, email, displayName, registeredAt } = event.data;
      return { type: T.UserRegistered, schemaVersion: 1, data: { userId, email, displayName, registeredAt } };
    }
    case T.PasswordRehashed: {
      const { userId, rehashedAt } = event.data;
      return { type: T.PasswordRehashed, schemaVersion: 1, data: { userId, rehashedAt } };
    }
    case T.PasswordChanged: {
      const { userId, changedAt } = event.data;
      return { type: T.PasswordChanged, schemaVersion: 1, data: { userId, changedAt } };
    }
    case T.PasswordResetRequested: {
      const { userId, requestedAt, expiresAt } = event.data;
      return { type: T.PasswordResetRequested, schemaVersion: 1, data: { userId, requestedAt, expiresAt } };
    }
    case T.PasswordReset: {
      const { userId, resetAt } = event.data;
      return { type: T.PasswordReset, schemaVersion: 1, data: { userId, resetAt } };
    }
    case T.DisplayNameChanged: {
      const { userId, displayName, changedAt } = event.data;
      return { type: T.DisplayNameChanged, schemaVersion: 1, data: { userId, displayName, changedAt } };
    }
    case T.SessionStarted: {
      const { sessionId, userId, startedAt, idleTimeoutSeconds, absoluteLifetimeSeconds } = event.data;
      return { type: T.SessionStarted, schemaVersion: 1, data: { sessionId, userId, startedAt, idleTimeoutSeconds, absoluteLifetimeSeconds } };
    }
    case T.SessionRefreshed: {
      const { sessionId, userId, refreshedAt } = event.data;
      return { type: T.SessionRefreshed, schemaVersion: 1, data: { sessionId, userId, refreshedAt } };
    }
    case T.SessionRevoked: {
      const { sessionId, userId, reason, revokedBy, revokedAt } = event.data;
      return { type: T.SessionRevoked, schemaVersion: 1, data: { sessionId, userId, reason, revokedBy, revokedAt } };
    }
    case T.PartnerClientRegistered: {
      const { clientId, name, scopes, plan, registeredAt } = event.data;
      return { type: T.PartnerClientRegistered, schemaVersion: 1, data: { clientId, name, scopes, plan, registeredAt } };
    }
    // a client's secret and scopes stay in sessions (its token answers say the scopes granted)
    case ClientBookkeeping.PartnerClientSecretRotated:
    case ClientBookkeeping.PartnerClientScopesChanged:
      return null;
    default: {
      const never: never = event;
      return never;
    }
  }
}
