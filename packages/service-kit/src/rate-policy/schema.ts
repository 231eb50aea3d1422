import { type Static, Type } from '@sinclair/typebox';
import type { RateLimitSubject } from '@strata/contracts';

/**
 * The shape of a policy set: what RATELIMIT_POLICIES_FILE holds, and what GET /v1/policies on the
 * ratelimit service answers (its view). The service checks files with it at boot; the gateway
 * checks the view with it before its fallback decides by that view.
 */

/** Names end up in Redis keys and in structured-field strings: keep them to a safe alphabet. */
export const PolicyNameSchema = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' });

export const SubjectKindSchema = Type.Union([Type.Literal('user'), Type.Literal('partner'), Type.Literal('anonymous')]);
export type SubjectKind = Static<typeof SubjectKindSchema>;
// the schema and the wire type in @strata/contracts name the same kinds: this line stops compiling otherwise
const sameKinds: [SubjectKind, RateLimitSubject['kind']] extends [RateLimitSubject['kind'], SubjectKind] ? true : never = true;
void sameKinds;

/**
 * What a limit counts by: `subject` is the caller (user id, partner client id, or the address of
 * an anonymous caller); `address` is the client's IP address; `account` is the account a
 * sign-in, registration or token request names, whoever sends it.
 */
export const DimensionSchema = Type.Union([Type.Literal('subject'), Type.Literal('address'), Type.Literal('account')]);
export type Dimension = Static<typeof DimensionSchema>;

const LimitFields = {
  by: DimensionSchema,
  /**
   * Requests (tokens) admitted in any window of `windowSeconds`, never more. Each admission is one
   * entry in Redis for a window, so this is also the most entries a key holds. To bound bursts as
   * well as the rate, add a second limit with a shorter window (see partner-pro).
   */
  limit: Type.Integer({ minimum: 1, maximum: 100_000 }),
  windowSeconds: Type.Integer({ minimum: 1, maximum: 31 * 86_400 }),
};

export const LimitSchema = Type.Object(
  {
    /** Appears in the RateLimit fields and the Redis key; by default the policy's name, or `<policy>-<by>`. */
    name: Type.Optional(PolicyNameSchema),
    ...LimitFields,
    /** Skip this limit when the request does not name the dimension (an account, usually). */
    optional: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const PolicySchema = Type.Object(
  {
    name: PolicyNameSchema,
    description: Type.String({ minLength: 1 }),
    /** Decided together: a request passes only when every limit admits it, and then counts in all. */
    limits: Type.Array(LimitSchema, { minItems: 1, maxItems: 8 }),
  },
  { additionalProperties: false },
);

/** A selection rule: every field it names must match; the first matching rule wins. */
export const RuleSchema = Type.Object(
  {
    routeClass: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    callerKind: Type.Optional(SubjectKindSchema),
    plan: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    policy: PolicyNameSchema,
  },
  { additionalProperties: false },
);

export const PolicySetSchema = Type.Object(
  {
    policies: Type.Array(PolicySchema, { minItems: 1 }),
    rules: Type.Array(RuleSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type LimitDefinition = Static<typeof LimitSchema>;
export type PolicyDefinition = Static<typeof PolicySchema>;
export type Rule = Static<typeof RuleSchema>;
export type PolicySetDefinition = Static<typeof PolicySetSchema>;

/** A policy as GET /v1/policies shows it: every limit named and complete, and the field it produces. */
export const PolicyViewSchema = Type.Object({
  name: PolicyNameSchema,
  description: Type.String({ minLength: 1 }),
  limits: Type.Array(
    Type.Object({
      name: PolicyNameSchema,
      ...LimitFields,
      /** The most admitted at once: the whole limit (kept for readers of the first version). */
      burst: Type.Integer(),
      optional: Type.Boolean(),
    }),
    { minItems: 1, maxItems: 8 },
  ),
  /** The RateLimit-Policy field value this policy produces. */
  header: Type.String(),
});

/** The answer of GET /v1/policies: the policies and the rules that choose them, in match order. */
export const PolicySetViewSchema = Type.Object({
  policies: Type.Array(PolicyViewSchema, { minItems: 1 }),
  rules: Type.Array(RuleSchema, { minItems: 1 }),
});
export type PolicySetView = Static<typeof PolicySetViewSchema>;
