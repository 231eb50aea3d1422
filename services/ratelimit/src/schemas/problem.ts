import { Type } from '@sinclair/typebox';

/** RFC 9457 problem details, as @strata/service-kit sends every error. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** The error answers every /v1 route may give. */
export const CommonProblems = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
} as const;
