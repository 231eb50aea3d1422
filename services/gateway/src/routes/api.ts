import replyFrom from '@fastify/reply-from';
import { AppIds, publicRouteOf } from '@strata/contracts';
import { DEPENDENCY_RETRY_AFTER_SECONDS, PROBLEM_CONTENT_TYPE, httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { ResponseCache, readSmall } from '../plugins/response-cache.js';
import { assertForwardable, invokeUrl, sidecarConnectionFailureStatus, sidecarFailureStatus, throughClient, upstreamHeaders } from '../upstream.js';

/**
 * /api/v1 and the well-known paths, forwarded to the owning service by Dapr service invocation on
 * the gateway's own sidecar, with bodies streamed both ways. The row of PublicRoutes that the
 * canonical path falls under says who owns it and whether it needs a token; no row, a 404. Tokens are checked here first,
 * and again by the service: the gateway is not the only way in.
 */
export async function apiRoutes(app: FastifyInstance, opts: { headersTimeoutMs: number }) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  await app.register(replyFrom, {
    base: app.dapr.baseUrl,
    // undici starts the headers' clock when the request body has been sent: a long upload is not cut
    undici: { connections: 128, pipelining: 1, headersTimeout: opts.headersTimeoutMs, bodyTimeout: 0 },
  });

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const route = publicRouteOf(path);
    // the gateway's own rows are routes of their own; reaching here, the method is not one of theirs
    if (!route || route.appId === AppIds.gateway) throw httpError(404, `No route ${request.method} ${path}`);
    if (route.auth === 'token') await app.authenticate(request, reply);
    assertForwardable(request);

    const cache = app.responseCache;
    const scope = cache.scopeOf(request, route);
    const entry = scope ? await cache.lookup(request, scope) : undefined;
    if (entry?.hit) return ResponseCache.send(request, reply, entry.hit, 'hit');
    // a write by the user: what was cached for them may change (and again once it is done)
    const writer = request.method !== 'GET' && request.method !== 'HEAD' && request.auth?.kind === 'user' ? request.auth.sub : undefined;
    if (writer) {
      await cache.invalidate(writer);
      reply.raw.once('finish', () => void cache.invalidate(writer));
    }

    /** A failed call to the owning service as problem+json: 503 and 504 (with Retry-After) to retry, 502 otherwise. */
    const sendUpstreamFailure = (res: { header(name: string, value: string): unknown; code(status: number): { type(t: string): { send(body: unknown): unknown } } }, status: 502 | 503 | 504) => {
      // a timeout too may pass: retry it (with the same Idempotency-Key, for a write that may have been done)
      if (status !== 502) res.header('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      const detail = {
        502: `The ${route.appId} service did not answer.`,
        503: `The ${route.appId} service cannot be reached. Try again shortly.`,
        504: `The ${route.appId} service did not answer in time. Try again shortly.`,
      }[status];
      void res.code(status).type(PROBLEM_CONTENT_TYPE).send(httpError(status, detail).toProblem());
    };
    return reply.from(invokeUrl(route.appId, request.url), {
      onResponse: (_req, res, raw) => {
        // reply-from hands over status, headers and body stream (its typings say otherwise)
        const upstream = raw as unknown as { statusCode: number; headers: Record<string, string | string[] | undefined>; stream: NodeJS.ReadableStream };
        const type = String(upstream.headers['content-type'] ?? '');
        // a failure of the sidecar itself comes back as Dapr's own JSON; clients get problem+json,
        // and no internals: a timeout is a 504; a call Dapr never sent (the service not started
        // yet, restarting, every replica away) a 503 with Retry-After, which a client retries, as
        // every app answers while a dependency of its own is away; anything else a 502, since the
        // app may have done the work before it failed (sidecarFailureStatus)
        if (upstream.statusCode >= 500 && !type.includes('problem+json')) {
          res.removeHeader('content-length');
          void (async () => {
            const { body } = await readSmall(upstream.stream).catch(() => ({ body: '' }));
            upstream.stream.resume();
            const status = sidecarFailureStatus(upstream.statusCode, body);
            request.log.warn({ status: upstream.statusCode, appId: route.appId, answered: status, dapr: body.slice(0, 300) }, 'upstream call failed');
            sendUpstreamFailure(res, status);
          })();
          return;
        }
        // every app answers its refusals as problem+json: any other 4xx is the sidecar's own (its
        // header or body limits), in its own words, which the client gets as a problem too
        if (upstream.statusCode >= 400 && !type.includes('problem+json')) {
          upstream.stream.resume();
          request.log.warn({ status: upstream.statusCode, appId: route.appId }, 'the sidecar refused the call');
          res.removeHeader('content-length');
          void res.code(upstream.statusCode).type(PROBLEM_CONTENT_TYPE).send(httpError(upstream.statusCode, 'The request cannot be passed on as it is.').toProblem());
          return;
        }
        // an answer the service marks no-store (someone else's item, read through a share: it changes
        // with the owner's writes, which move only the owner's cache generation) is never kept
        const keep = !String(upstream.headers['cache-control'] ?? '').includes('no-store');
        if (entry && keep && upstream.statusCode === 200 && type.startsWith('application/json')) {
          void (async () => {
            const { body, complete, chunks } = await readSmall(upstream.stream);
            if (!complete) {
              // too big to cache: send what was read and the rest as it comes
              res.removeHeader('content-length');
              const rest = Readable.from((async function* () {
                yield* chunks;
                yield* upstream.stream as AsyncIterable<Buffer>;
              })());
              void res.send(throughClient(rest, request.log));
              return;
            }
            const given = upstream.headers.etag;
            const answer = { etag: typeof given === 'string' ? given : ResponseCache.etagOf(body), contentType: type, body };
            await cache.store(entry.key, answer);
            res.removeHeader('content-length');
            void ResponseCache.send(request, res as unknown as FastifyReply, answer, 'miss');
          })().catch((error: unknown) => {
            request.log.warn({ err: error }, 'caching an answer failed');
            if (!res.sent) void res.code(502).type(PROBLEM_CONTENT_TYPE).send(httpError(502, 'The answer could not be read.').toProblem());
          });
          return;
        }
        void res.send(throughClient(upstream.stream, request.log));
      },
      rewriteRequestHeaders: (_req, headers) => upstreamHeaders(app, request, headers),
      // no answer from the sidecar at all (killed, restarting, the connection cut): problem+json, never a 500
      onError: (res, { error }) => {
        const status = sidecarConnectionFailureStatus(error);
        request.log.warn({ err: error, appId: route.appId, answered: status }, 'the call to the sidecar failed');
        sendUpstreamFailure(res, status);
      },
    });
  };

  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url: '/api/v1/*', handler: forward });
  app.route({ method: ['GET', 'HEAD'], url: '/.well-known/jwks.json', handler: forward });
}
