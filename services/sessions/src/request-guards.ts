import { httpError } from '@strata/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Guards for the routes that set or spend the refresh cookie, run before the body is read.
 *
 * A page on another site can make a browser POST there with the cookie attached. An HTML form can
 * only send form, multipart or text/plain bodies, and fetch() with any other type needs a CORS
 * preflight, which nobody answers; so these routes take JSON alone (415 for anything else, a
 * missing type included). And because every browser sends Origin on a POST, one from an origin
 * that is not ours (or the opaque "null") is refused with 403. A request without Origin comes from
 * no browser (a CLI, a partner's server), which cannot ride on someone else's cookie.
 */
export function requireMediaType(...types: string[]) {
  const accepted = new Set(types);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const given = request.headers['content-type'];
    const media = given?.split(';')[0]?.trim().toLowerCase();
    if (!media || !accepted.has(media)) {
      reply.header('accept-post', types.join(', '));
      throw httpError(415, `Send the body as ${types.join(' or ')}${given ? `, not ${given.slice(0, 100)}` : ''}.`);
    }
  };
}

export function requireOwnOrigin(origins: readonly string[]) {
  const allowed = new Set(origins);
  return async (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) {
      throw httpError(403, 'This request comes from a page of another site; sign in on Strata itself.');
    }
  };
}
