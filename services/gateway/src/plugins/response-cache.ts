import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { PublicRoute } from '@strata/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const MAX_BODY = 256 * 1024;
const genKey = (userId: string) => `strata:cache-gen:${userId}`;

export interface CachedAnswer {
  etag: string;
  contentType: string;
  body: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    responseCache: ResponseCache;
  }
}

/**
 * Per-user response cache in Redis with ETag revalidation. Entries are keyed by the user's cache
 * generation, which moves on every write the user sends through the gateway (before and after it)
 * and on every event about the user's data, so an answer is never stale after the user's own
 * write and never crosses users. Redis trouble turns the cache off, not the API.
 */
export class ResponseCache {
  constructor(
    private readonly app: FastifyInstance,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * Whether this GET may be answered from the cache, and what its answer depends on besides the
   * user and the URL: the route's row says (`session` for answers that name the caller's session).
   * Only user tokens: a partner's answers depend on its grants, which change without its writes.
   */
  scopeOf(request: FastifyRequest, route: PublicRoute): PublicRoute['cache'] {
    if (request.method !== 'GET' || request.auth?.kind !== 'user' || !route.cache) return undefined;
    if (route.cache === 'session' && !request.auth.sid) return undefined;
    return route.cache;
  }

  private async key(request: FastifyRequest, scope: NonNullable<PublicRoute['cache']>): Promise<string> {
    const userId = request.auth!.sub;
    const gen = (await this.app.redis.get(genKey(userId))) ?? '0';
    const url = createHash('sha256').update(request.url).digest('base64url');
    return `strata:cache:${userId}:${gen}:${scope === 'session' ? `s.${request.auth!.sid!}` : 'u'}:${url}`;
  }

  async lookup(request: FastifyRequest, scope: NonNullable<PublicRoute['cache']>): Promise<{ key: string; hit?: CachedAnswer } | undefined> {
    try {
      const key = await this.key(request, scope);
      const hit = await this.app.redis.get(key);
      return hit ? { key, hit: JSON.parse(hit) as CachedAnswer } : { key };
    } catch {
      return undefined;
    }
  }

  async store(key: string, answer: CachedAnswer): Promise<void> {
    await this.app.redis.set(key, JSON.stringify(answer), 'EX', this.ttlSeconds).catch(() => undefined);
  }

  /** Something about the user's data changed (or is about to). */
  async invalidate(userId: string): Promise<void> {
    await this.app.redis.incr(genKey(userId)).catch(() => undefined);
  }

  static etagOf(body: string): string {
    return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  }

  /** Answers 304 when the client holds this version, else the body. */
  static send(request: FastifyRequest, reply: FastifyReply, answer: CachedAnswer, source: 'hit' | 'miss') {
    reply.header('etag', answer.etag).header('cache-control', 'private, no-cache').header('vary', 'authorization').header('x-cache', source);
    if (matches(request.headers['if-none-match'], answer.etag)) return reply.code(304).send();
    return reply.code(200).type(answer.contentType).send(answer.body);
  }
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const weakless = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch === '*' || ifNoneMatch.split(',').some((t) => weakless(t) === weakless(etag));
}

/** Reads a JSON answer whole, up to a limit; undefined past the limit (then it is not cached). */
export async function readSmall(stream: NodeJS.ReadableStream): Promise<{ body: string; complete: boolean; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  let size = 0;
  // leaving the loop early must not destroy the stream: the rest of the body is still to be sent
  for await (const chunk of (stream as Readable).iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_BODY) return { body: '', complete: false, chunks };
  }
  return { body: Buffer.concat(chunks).toString('utf8'), complete: true, chunks };
}

export const responseCachePlugin = fp(
  async (app: FastifyInstance, opts: { ttlSeconds: number }) => {
    app.decorate('responseCache', new ResponseCache(app, opts.ttlSeconds));
  },
  { name: 'gateway-response-cache', dependencies: ['strata-redis'] },
);
