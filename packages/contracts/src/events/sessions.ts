import { type TObject, Type } from '@sinclair/typebox';
import { SessionEventTypes } from './names.js';
import type { PublishedOf } from './published.js';

/*
 * The published events of topic `sessions.events`, v1, mapped from the sessions service's domain
 * events by `toPublished` (services/sessions/src/published.ts). Password, refresh-token and
 * client-secret hashes stay in the log: no schema names them. Times are ISO 8601 strings.
 */

const strict = { additionalProperties: false } as const;

export const UserRegisteredV1 = Type.Object(
  { userId: Type.String(), email: Type.String(), displayName: Type.String(), registeredAt: Type.String() },
  strict,
);
export const PasswordRehashedV1 = Type.Object({ userId: Type.String(), rehashedAt: Type.String() }, strict);
/** The owner changed the password (the current one given); every other session was ended. */
export const PasswordChangedV1 = Type.Object({ userId: Type.String(), changedAt: Type.String() }, strict);
/** A reset was asked for a registered address; the token's hash stays in the log. */
export const PasswordResetRequestedV1 = Type.Object({ userId: Type.String(), requestedAt: Type.String(), expiresAt: Type.String() }, strict);
/** The password was set with a reset token; every session was ended. */
export const PasswordResetV1 = Type.Object({ userId: Type.String(), resetAt: Type.String() }, strict);
export const DisplayNameChangedV1 = Type.Object({ userId: Type.String(), displayName: Type.String(), changedAt: Type.String() }, strict);
export const SessionStartedV1 = Type.Object(
  {
    sessionId: Type.String(),
    userId: Type.String(),
    startedAt: Type.String(),
    idleTimeoutSeconds: Type.Integer({ minimum: 1 }),
    absoluteLifetimeSeconds: Type.Integer({ minimum: 1 }),
  },
  strict,
);
export const SessionRefreshedV1 = Type.Object({ sessionId: Type.String(), userId: Type.String(), refreshedAt: Type.String() }, strict);
export const RevocationReason = Type.Union([
  Type.Literal('logout'),
  Type.Literal('revoked'),
  Type.Literal('refresh-token-reuse'),
  Type.Literal('idle-timeout'),
  Type.Literal('lifetime-exceeded'),
  /** ended by POST /sessions/revoke-all (sign out everywhere) */
  Type.Literal('signed-out-everywhere'),
  /** another session of the user changed the password */
  Type.Literal('password-changed'),
  /** the password was set with a reset token */
  Type.Literal('password-reset'),
]);
export const SessionRevokedV1 = Type.Object(
  { sessionId: Type.String(), userId: Type.String(), reason: RevocationReason, revokedBy: Type.String(), revokedAt: Type.String() },
  strict,
);
export const PartnerClientRegisteredV1 = Type.Object(
  { clientId: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()), plan: Type.String(), registeredAt: Type.String() },
  strict,
);

/** Every published event of `sessions.events`, by type and schema version. */
export const SessionEventSchemas = {
  [SessionEventTypes.UserRegistered]: { 1: UserRegisteredV1 },
  [SessionEventTypes.PasswordRehashed]: { 1: PasswordRehashedV1 },
  [SessionEventTypes.PasswordChanged]: { 1: PasswordChangedV1 },
  [SessionEventTypes.PasswordResetRequested]: { 1: PasswordResetRequestedV1 },
  [SessionEventTypes.PasswordReset]: { 1: PasswordResetV1 },
  [SessionEventTypes.DisplayNameChanged]: { 1: DisplayNameChangedV1 },
  [SessionEventTypes.SessionStarted]: { 1: SessionStartedV1 },
  [SessionEventTypes.SessionRefreshed]: { 1: SessionRefreshedV1 },
  [SessionEventTypes.SessionRevoked]: { 1: SessionRevokedV1 },
  [SessionEventTypes.PartnerClientRegistered]: { 1: PartnerClientRegisteredV1 },
} as const satisfies Record<(typeof SessionEventTypes)[keyof typeof SessionEventTypes], Record<number, TObject>>;

export type PublishedSessionEvent = PublishedOf<typeof SessionEventSchemas>;
