import { type Static, Type } from '@sinclair/typebox';
import { DimensionSchema, PolicyNameSchema, SubjectKindSchema } from '@strata/service-kit/rate-policy';
import { CommonProblems, ProblemSchema } from './problem.js';

export const SubjectSchema = Type.Object(
  {
    kind: SubjectKindSchema,
    /** The user id, the partner's client id, or the address of an anonymous caller. */
    id: Type.String({ minLength: 1, maxLength: 256 }),
    /** The caller's plan (partners: standard, pro, enterprise). */
    plan: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** The client's IP address, as the gateway sees it. */
    address: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** The account a sign-in, registration or token request names (e-mail or user id). */
    account: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
  },
  { additionalProperties: false },
);

export const DecideBodySchema = Type.Object(
  {
    /** A policy by name; otherwise chosen by route class, caller kind and plan. */
    policy: Type.Optional(PolicyNameSchema),
    routeClass: Type.String({ minLength: 1, maxLength: 64 }),
    subject: SubjectSchema,
    /** Tokens to take at once (a lease); at most the limit of every limit that applies. */
    cost: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    /**
     * A lease's lifetime: the tokens are counted as taken this many ms from now, and the caller
     * must not spend any of them later than that (README: "Leases"). 0 for a single request.
     */
    holdMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);
export type DecideBody = Static<typeof DecideBodySchema>;

const Ms = Type.Integer({ minimum: 0 });

export const CheckResultSchema = Type.Object({
  name: Type.String(),
  by: DimensionSchema,
  limit: Type.Integer(),
  windowSeconds: Type.Integer(),
  burst: Type.Integer(),
  allowed: Type.Boolean(),
  remaining: Type.Integer({ minimum: 0 }),
  resetMs: Ms,
  retryAfterMs: Ms,
});

export const DecisionSchema = Type.Object({
  allowed: Type.Boolean(),
  policy: Type.String(),
  limit: Type.Integer(),
  remaining: Type.Integer({ minimum: 0 }),
  /** Until the binding limit's oldest admission leaves its window (a slot frees). */
  resetMs: Ms,
  /** 0 when allowed; else until the same request would pass. */
  retryAfterMs: Ms,
  cost: Type.Integer({ minimum: 1 }),
  /** Every limit that applied, in policy order. */
  checks: Type.Array(CheckResultSchema),
  /** Ready to copy onto the gateway's response. */
  headers: Type.Object({
    'RateLimit-Policy': Type.String(),
    RateLimit: Type.String(),
    'Retry-After': Type.Optional(Type.String()),
  }),
});

export const decideRouteSchema = {
  summary: 'Decide whether a request may proceed, and take its tokens if so',
  body: DecideBodySchema,
  response: {
    200: DecisionSchema,
    ...CommonProblems,
    422: ProblemSchema,
    503: ProblemSchema,
  },
};
