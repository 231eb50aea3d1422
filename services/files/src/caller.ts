import { httpError } from '@strata/service-kit';
import type { FastifyRequest } from 'fastify';

export interface Caller {
  kind: 'user' | 'partner';
  /** Whose files this caller writes and owns: a user's id, or `client:<id>` for a partner's own uploads. */
  ownerId: string;
  /** The partner client id, for grants. */
  clientId: string | undefined;
  /** Who acts, as event metadata names it. */
  actor: string;
}

/** Who calls, after `app.authenticate`/`requireScopes` ran. */
export function callerOf(request: FastifyRequest): Caller {
  const auth = request.auth;
  if (!auth) throw httpError(401, 'A bearer access token is required.');
  if (auth.kind === 'partner') return { kind: 'partner', ownerId: `client:${auth.sub}`, clientId: auth.sub, actor: `client:${auth.sub}` };
  return { kind: 'user', ownerId: auth.sub, clientId: undefined, actor: `user:${auth.sub}` };
}

/** The metadata of the events a caller's request causes: who, which request, from where (request context). */
export const metadataOf = (request: FastifyRequest, caller: Caller) => request.context.metadata(caller.actor);
