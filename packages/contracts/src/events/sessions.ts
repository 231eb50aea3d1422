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
  [SessionEventTypes.SessionStarted]: { 1: SessionStartedV1 },
  [SessionEventTypes.SessionRefreshed]: { 1: SessionRefreshedV1 },
  [SessionEventTypes.SessionRevoked]: { 1: SessionRevokedV1 },
  [SessionEventTypes.PartnerClientRegistered]: { 1: PartnerClientRegisteredV1 },
} as const satisfies Record<(typeof SessionEventTypes)[keyof typeof SessionEventTypes], Record<number, TObject>>;

export type PublishedSessionEvent = PublishedOf<typeof SessionEventSchemas>;
