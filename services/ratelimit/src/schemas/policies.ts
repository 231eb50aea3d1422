import { Type } from '@sinclair/typebox';
import { DimensionSchema, RuleSchema } from '../domain/policies.js';
import { CommonProblems } from './problem.js';

export const PolicyViewSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  limits: Type.Array(
    Type.Object({
      name: Type.String(),
      by: DimensionSchema,
      limit: Type.Integer(),
      windowSeconds: Type.Integer(),
      burst: Type.Integer(),
      optional: Type.Boolean(),
    }),
  ),
  /** The RateLimit-Policy field value this policy produces. */
  header: Type.String(),
});

export const policiesRouteSchema = {
  summary: 'The policies and the rules that choose them, in match order',
  response: {
    200: Type.Object({ policies: Type.Array(PolicyViewSchema), rules: Type.Array(RuleSchema) }),
    ...CommonProblems,
  },
};
