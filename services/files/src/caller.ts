import { AppIds, CLIENT_ADDRESS_HEADER } from '@strata/contracts';
import { httpError } from '@strata/service-kit';
import type { FastifyRequest } from 'fastify';

export interface Caller {
  kind: 'user' | 'partner';
  /** Whose files this caller writes and owns: a user's id, or `client:<id>` for a partner's own uploads. */
  ownerId: string;
  /** The partner client id, for grants. */
  clientId: string | undefined;
  /** Event metadata: who, from where. */
  actor: string;
  address: string;
  userAgent: string | undefined;
}

/** Who calls, after `app.authenticate`/`requireScopes` ran. */
export function callerOf(request: FastifyRequest): Caller {
  const auth = request.auth;
  if (!auth) throw httpError(401, 'A bearer access token is required.');
  // the gateway passes the client's address in its own header; only a call that Dapr says comes
  // from the gateway may set it, anyone else is where the connection comes from
  const viaGateway = request.headers['dapr-caller-app-id'] === AppIds.gateway;
  const forwarded = request.headers[CLIENT_ADDRESS_HEADER];
  const address = viaGateway && typeof forwarded === 'string' ? forwarded : request.ip;
  const userAgent = typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined;
  if (auth.kind === 'partner') {
    return { kind: 'partner', ownerId: `client:${auth.sub}`, clientId: auth.sub, actor: `client:${auth.sub}`, address, userAgent };
  }
  return { kind: 'user', ownerId: auth.sub, clientId: undefined, actor: `user:${auth.sub}`, address, userAgent };
}

export function metadataOf(request: FastifyRequest, caller: Caller) {
  return {
    actor: caller.actor,
    correlationId: request.id,
    address: caller.address,
    ...(caller.userAgent ? { userAgent: caller.userAgent } : {}),
  };
}
