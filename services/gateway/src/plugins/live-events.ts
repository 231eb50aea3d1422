import { Components, Topics } from '@strata/contracts';
import { AppError, type DeliveredEvent } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';

/** A user's recent events: a capped Redis stream per user, shared by every gateway replica. */
const streamKey = (userId: string) => `strata:user-events:${userId}`;
const seenKey = (eventId: string) => `strata:user-events:seen:${eventId}`;
const CHANNEL = 'strata:user-events';
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

interface Listener {
  userId: string;
  sessionId: string | undefined;
  lastId: string;
  reply: FastifyReply;
  close: (event?: string) => void;
  pumping: boolean;
  again: boolean;
}

export interface LiveEventsOptions {
  /** Events kept per user for Last-Event-ID resumption. */
  keepPerUser: number;
  /** How long a user's stream lives after its last event. */
  keepSeconds: number;
  heartbeatMs: number;
}

/** Which user an event belongs to: its data names the user (sessions) or the owner (files). */
function ownerOf(event: DeliveredEvent): string | undefined {
  const data = event.data as { userId?: unknown; ownerId?: unknown } | null;
  const owner = data?.userId ?? data?.ownerId;
  return typeof owner === 'string' ? owner : undefined;
}

/**
 * GET /api/v1/events: the caller's own events as Server-Sent Events. Dapr delivers each event to
 * one gateway replica (one consumer group); that replica appends it to the owner's Redis stream
 * (deduplicated by event id: delivery is at least once) and announces it on a Redis channel, so
 * every replica pushes it to the owner's open connections. The stream id is the SSE id, so a
 * client that reconnects with Last-Event-ID gets what it missed.
 */
export const liveEventsPlugin = fp(
  async (app: FastifyInstance, opts: LiveEventsOptions) => {
    const listeners = new Map<string, Set<Listener>>();
    const subscriber: Redis = app.redis.duplicate({ enableOfflineQueue: true, lazyConnect: true });
    subscriber.on('error', () => undefined);

    const deliver = async (event: DeliveredEvent) => {
      const owner = ownerOf(event);
      if (!owner) return 'SUCCESS' as const;
      // the owner's cached answers may be stale now (a partner's write, a job, another device)
      await app.responseCache.invalidate(owner);
      const first = await app.redis.set(seenKey(event.id), '1', 'EX', opts.keepSeconds, 'NX');
      if (first !== 'OK') return 'SUCCESS' as const;
      const payload = JSON.stringify({ id: event.id, type: event.type, subject: event.subject, time: event.time, data: event.data });
      await app.redis
        .multi()
        .xadd(streamKey(owner), 'MAXLEN', '~', String(opts.keepPerUser), '*', 'type', event.type, 'event', payload)
        .expire(streamKey(owner), opts.keepSeconds)
        .publish(CHANNEL, owner)
        .exec();
      return 'SUCCESS' as const;
    };
    for (const topic of [Topics.fileEvents, Topics.sessionEvents]) {
      app.subscribe({ pubsubname: Components.pubsub, topic, path: `/dapr/events/live/${topic}`, handler: deliver });
    }

    /** Sends what the listener has not seen yet; one pump at a time per connection. */
    const pump = async (listener: Listener) => {
      if (listener.pumping) {
        listener.again = true;
        return;
      }
      listener.pumping = true;
      try {
        do {
          listener.again = false;
          const entries = await app.redis.xrange(streamKey(listener.userId), `(${listener.lastId}`, '+', 'COUNT', 200);
          for (const [id, fields] of entries) {
            const type = fields[fields.indexOf('type') + 1] ?? 'message';
            const data = fields[fields.indexOf('event') + 1] ?? '{}';
            listener.reply.raw.write(`id: ${id}\nevent: ${type}\ndata: ${data}\n\n`);
            listener.lastId = id;
            const ended = type === 'SessionRevoked' && (JSON.parse(data) as { data?: { sessionId?: string } }).data?.sessionId === listener.sessionId;
            if (ended) {
              listener.close('session-ended');
              return;
            }
          }
          if (entries.length === 200) listener.again = true;
        } while (listener.again);
      } catch (error) {
        app.log.warn({ err: error }, 'live events: read failed; the client will resume with Last-Event-ID');
        listener.close();
      } finally {
        listener.pumping = false;
      }
    };

    subscriber.on('message', (_channel: string, userId: string) => {
      for (const listener of listeners.get(userId) ?? []) void pump(listener);
    });
    await subscriber.connect().catch(() => undefined);
    await subscriber.subscribe(CHANNEL).catch((err: unknown) => app.log.warn({ err }, 'live events: channel not subscribed yet'));
    subscriber.on('ready', () => void subscriber.subscribe(CHANNEL).catch(() => undefined));

    app.addHook('onClose', async () => {
      for (const set of listeners.values()) for (const listener of set) listener.close('server-closing');
      subscriber.disconnect();
    });

    app.get(
      '/api/v1/events',
      {
        preHandler: app.authenticate,
        schema: {
          summary: "The caller's own events as Server-Sent Events (Last-Event-ID resumes)",
          tags: ['events'],
          security: [{ bearer: [] }],
          headers: { type: 'object', properties: { 'last-event-id': { type: 'string', maxLength: 64 } } },
        },
      },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const auth = request.auth!;
        if (auth.kind !== 'user') throw new AppError(403, 'forbidden', 'Forbidden', 'Live events are for signed-in users.');
        const given = request.headers['last-event-id'];
        if (given !== undefined && (typeof given !== 'string' || !STREAM_ID.test(given))) {
          throw new AppError(400, 'bad-last-event-id', 'Bad request', 'Last-Event-ID is not an id this stream sent.');
        }
        // without Last-Event-ID the stream starts now: the newest entry is the starting point
        const newest = given ?? (await app.redis.xrevrange(streamKey(auth.sub), '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';

        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        raw.write(`retry: 2000\n: connected\n\n`);

        const set = listeners.get(auth.sub) ?? new Set<Listener>();
        listeners.set(auth.sub, set);
        let closed = false;
        const heartbeat = setInterval(() => {
          if (auth.sid && app.revocations.isRevoked(auth.sid)) listener.close('session-ended');
          else raw.write(': heartbeat\n\n');
        }, opts.heartbeatMs);
        // the access token's end is the stream's end: the client reconnects with a fresh one
        const expiry = setTimeout(() => listener.close('token-expired'), Math.max(0, auth.exp * 1000 - Date.now()));
        const listener: Listener = {
          userId: auth.sub,
          sessionId: auth.sid,
          lastId: newest,
          reply,
          pumping: false,
          again: false,
          close: (event?: string) => {
            if (closed) return;
            closed = true;
            clearInterval(heartbeat);
            clearTimeout(expiry);
            set.delete(listener);
            if (set.size === 0) listeners.delete(auth.sub);
            if (event && !raw.writableEnded) raw.write(`event: ${event}\ndata: {}\n\n`);
            raw.end();
          },
        };
        set.add(listener);
        raw.on('close', () => listener.close());
        if (given) await pump(listener);
      },
    );
  },
  { name: 'gateway-live-events', dependencies: ['strata-redis', 'strata-token-auth', 'strata-subscriptions', 'gateway-response-cache'] },
);
