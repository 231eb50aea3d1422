import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface EdgeOptions {
  /** Origins other than the gateway's own that browsers may call the API from (none by default). */
  corsOrigins: string[];
  /** Strict-Transport-Security; on wherever TLS terminates in front of the gateway. */
  hsts: boolean;
}

/** Headers the browser may read on cross-origin answers (rate limits, ids, versions, uploads). */
const EXPOSED = ['x-request-id', 'etag', 'location', 'ratelimit', 'ratelimit-policy', 'retry-after', 'upload-offset', 'upload-length', 'tus-resumable'];

/**
 * Edge hygiene for every answer: security headers (the UI's pages carry their own CSP from
 * SvelteKit; API answers get a deny-all CSP), and a CORS policy that admits only the listed origins.
 */
export const edgePlugin = fp(
  async (app: FastifyInstance, opts: EdgeOptions) => {
    await app.register(cors, {
      origin: opts.corsOrigins.length > 0 ? opts.corsOrigins : false,
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: EXPOSED,
      maxAge: 600,
    });
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      reply.header('cross-origin-opener-policy', 'same-origin');
      reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
      // browsers ignore it over http (RFC 6797 §8.1); sent only where the client came over https
      if (opts.hsts && request.client.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
      const path = request.url;
      if (/^\/(api\/v1|\.well-known)\//.test(path) && !reply.hasHeader('content-security-policy')) {
        reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      }
    });
  },
  { name: 'gateway-edge', dependencies: ['gateway-client'] },
);
