import { PolicySetViewSchema } from '@strata/service-kit/rate-policy';
import { CommonProblems } from './problem.js';

export const policiesRouteSchema = {
  summary: 'The policies and the rules that choose them, in match order',
  response: {
    200: PolicySetViewSchema,
    ...CommonProblems,
  },
};
