import { httpError } from '@strata/service-kit';
import type { FastifyRequest } from 'fastify';

/** Whose documents a caller reads: a user's own, or a partner client's own uploads (`client:<id>`), as files names them. */
export function ownerOf(request: FastifyRequest): { ownerId: string; actor: string } {
  const auth = request.auth;
  if (!auth) throw httpError(401, 'A bearer access token is required.');
  if (auth.kind === 'partner') return { ownerId: `client:${auth.sub}`, actor: `client:${auth.sub}` };
  return { ownerId: auth.sub, actor: `user:${auth.sub}` };
}
