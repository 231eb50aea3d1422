import { httpError } from '@strata/service-kit';
import type { FastifyRequest } from 'fastify';

/** Whose endpoints a caller manages: a user's own, or a partner client's (`client:<id>`), the owner ids files' events carry. */
export function ownerOf(request: FastifyRequest): string {
  const auth = request.auth;
  if (!auth) throw httpError(401, 'A bearer access token is required.');
  return auth.kind === 'partner' ? `client:${auth.sub}` : auth.sub;
}
