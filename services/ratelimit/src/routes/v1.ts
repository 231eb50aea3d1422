import type { FastifyInstance } from 'fastify';
import { callerCheck } from '../plugins/caller-check.js';
import { decideRoutes } from './decide.js';
import { policiesRoutes } from './policies.js';

/** The API under /v1, open to allowed callers only; health and metrics stay outside this scope. */
export async function v1Routes(app: FastifyInstance, opts: { allowedCallers: readonly string[] }) {
  app.addHook('onRequest', callerCheck({ allowed: opts.allowedCallers }));
  await app.register(decideRoutes);
  await app.register(policiesRoutes);
}
