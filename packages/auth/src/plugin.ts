import { AppError, httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RevocationList } from './revocations.js';
import { type AccessClaims, TokenError, type TokenVerifier } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by `app.authenticate`. */
    auth: AccessClaims | null;
  }
  interface FastifyInstance {
    /** preHandler: a valid, unrevoked bearer token, or 401. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** preHandler factory: authenticate, then require every scope named, or 403. */
    requireScopes: (...scopes: string[]) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

function unauthorized(reply: FastifyReply, detail: string): AppError {
  reply.header('www-authenticate', `Bearer realm="strata", error="invalid_token"`);
  return new AppError(401, 'unauthorized', 'Unauthorized', detail);
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined. The scheme is matched
 * without regard to case (RFC 9110 11.1: `bearer` is the same scheme); the token is a JWT's
 * characters only.
 */
export function bearerToken(header: string | undefined): string | undefined {
  return /^bearer +([A-Za-z0-9_\-.]+)$/i.exec(header ?? '')?.[1];
}

/** Whether the header names the Bearer scheme at all (a token follows or not). */
export const isBearer = (header: string | undefined): boolean => /^bearer(?: |$)/i.test(header ?? '');

/**
 * Token checks every service that serves /api/v1 runs itself, whatever the network path (the
 * gateway checks too, but a partner or a compromised pod may call a service directly).
 */
export const authPlugin = fp(
  async (app: FastifyInstance, opts: { verifier: TokenVerifier; revocations: Pick<RevocationList, 'isRevoked'> }) => {
    app.decorateRequest('auth', null);

    const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.auth) return;
      const token = bearerToken(request.headers.authorization);
      if (!token) throw unauthorized(reply, 'A bearer access token is required.');
      let claims: AccessClaims;
      try {
        claims = await opts.verifier.verify(token);
      } catch (error) {
        if (error instanceof TokenError && error.code === 'unavailable') {
          // the keys could not be loaded (sessions unreachable at start): the token may be fine
          reply.header('retry-after', '5');
          throw httpError(503, 'Access tokens cannot be checked at this moment; try again shortly.');
        }
        if (error instanceof TokenError) {
          request.log.info({ reason: error.message }, 'access token refused');
          throw unauthorized(reply, 'The access token is invalid or expired.');
        }
        throw error;
      }
      if (claims.sid && opts.revocations.isRevoked(claims.sid)) {
        throw unauthorized(reply, 'The session of this access token has ended.');
      }
      request.auth = claims;
    };

    app.decorate('authenticate', authenticate);
    app.decorate('requireScopes', (...scopes: string[]) => async (request: FastifyRequest, reply: FastifyReply) => {
      await authenticate(request, reply);
      const granted = new Set(request.auth?.scope ?? []);
      const missing = scopes.filter((s) => !granted.has(s));
      if (missing.length > 0) {
        reply.header('www-authenticate', `Bearer realm="strata", error="insufficient_scope", scope="${scopes.join(' ')}"`);
        throw new AppError(403, 'insufficient-scope', 'Forbidden', `This call needs the scope ${missing.join(', ')}.`);
      }
    });
  },
  { name: 'strata-auth' },
);
