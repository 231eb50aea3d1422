import { ProblemSchema } from '@strata/service-kit';

export { ProblemSchema };

/** The error answers every /v1 route may give. */
export const CommonProblems = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
} as const;
