import { AppIds, Components, FILES_AUDIENCE_PATH, FileEventSchemas, InsightsEventSchemas, LiveStreamEnds, type LiveStreamEnd, SessionEventSchemas, SessionEventTypes, Topics, readPublished } from '@strata/contracts';
import { AppError, type DeliveredEvent, duplicateRedis, traceOf } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { randomUUID } from 'node:crypto';

/**
 * A user's recent events: a capped Redis stream per user, shared by every gateway replica. The
 * user's keys carry the user id as a hash tag ({...}): on a Redis Cluster the MULTI and MGET below
 * reach one slot, and users spread over the masters.
 */
const streamKey = (userId: string) => `strata:user-events:{${userId}}`;
const seenKey = (eventId: string) => `strata:user-events:seen:${eventId}`;
const CHANNEL = 'strata:user-events';
/** The open streams of a user over every replica (member: stream id, score: when it opened). */
const openKey = (userId: string) => `strata:user-streams:{${userId}}`;
/** Kept alive by the stream's heartbeat: a replica that died leaves no stream counted for long. */
const aliveKey = (userId: string, streamId: string) => `strata:user-stream:{${userId}}:${streamId}`;
/** `<stream id>` of a stream to close, on whichever replica holds it. */
const CLOSE_CHANNEL = 'strata:user-streams:close';
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
/** The reconnection delay a stream ended by shutdown tells its client (SSE `retry:`), in ms. */
export const SHUTDOWN_RETRY_MS = 1_000;

interface Listener {
  streamId: string;
  userId: string;
  sessionId: string | undefined;
  lastId: string;
  reply: FastifyReply;
  close: (event?: LiveStreamEnd) => void;
  pumping: boolean;
  again: boolean;
}

export interface LiveEventsOptions {
  /** Events kept per user for Last-Event-ID resumption. */
  keepPerUser: number;
  /** How long a user's stream lives after its last event. */
  keepSeconds: number;
  heartbeatMs: number;
  /** Streams one user may hold open at once, over every replica; opening one more closes the oldest. */
  maxStreamsPerUser: number;
}

/**
 * A delivered event read by its topic's published contract: whose it is (a file's owner, an
 * account's or a session's user) and the data the contract allows. Undefined for an event that is
 * not one of the topic's, or belongs to no user (a partner client's registration).
 */
const readers = {
  [Topics.fileEvents]: (event: DeliveredEvent) => {
    const published = readPublished(FileEventSchemas, event);
    if (!published) return undefined;
    const data = published.data;
    // a share's events reach its recipient too (they learn of a share given, changed or taken away)
    if ('recipientId' in data) return { owner: data.ownerId, also: [data.recipientId], data };
    // a link's are the owner's alone; a file's or folder's reach whoever it is shared with now
    if ('linkId' in data) return { owner: data.ownerId, data };
    return { owner: data.ownerId, audience: 'fileId' in data ? { fileId: data.fileId } : { folderId: data.folderId }, data };
  },
  [Topics.sessionEvents]: (event: DeliveredEvent) => {
    const published = readPublished(SessionEventSchemas, event);
    return published && 'userId' in published.data ? { owner: published.data.userId, data: published.data } : undefined;
  },
  [Topics.insightsEvents]: (event: DeliveredEvent) => {
    const published = readPublished(InsightsEventSchemas, event);
    return published && { owner: published.data.ownerId, data: published.data };
  },
};

/** Whose streams a delivered event goes to: its owner, and the users named or shared with. */
interface Readout {
  owner: string;
  also?: string[];
  /** The item whose present audience (its shares, and its folders' above it) files knows. */
  audience?: { fileId: string } | { folderId: string };
  data: unknown;
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
    const byStream = new Map<string, Listener>();
    const aliveSeconds = Math.ceil((opts.heartbeatMs * 3) / 1000);

    /** Counts the new stream and names the oldest ones past the bound, which are closed wherever they are. */
    const admit = async (userId: string, streamId: string) => {
      const key = openKey(userId);
      await app.redis.multi().zadd(key, Date.now(), streamId).set(aliveKey(userId, streamId), '1', 'EX', aliveSeconds).expire(key, opts.keepSeconds).exec();
      const open = await app.redis.zrange(key, 0, -1);
      const alive = open.length > 0 ? await app.redis.mget(open.map((id) => aliveKey(userId, id))) : [];
      const dead = open.filter((_, i) => alive[i] === null);
      const live = open.filter((_, i) => alive[i] !== null);
      const evicted = live.slice(0, Math.max(0, live.length - opts.maxStreamsPerUser));
      if (dead.length + evicted.length > 0) {
        const multi = app.redis.multi().zrem(key, ...dead, ...evicted);
        for (const id of evicted) multi.publish(CLOSE_CHANNEL, id);
        await multi.exec();
      }
    };
    const forget = (userId: string, streamId: string) =>
      void app.redis.multi().zrem(openKey(userId), streamId).del(aliveKey(userId, streamId)).exec().catch(() => undefined);
    const subscriber = duplicateRedis(app.redis);
    subscriber.on('error', () => undefined);

    /**
     * Who besides the owner may see an item's events now, asked of files at delivery: a share
     * revoked a moment ago names nobody any more, so the recipient's stream carries nothing more of
     * the item. Files unreachable: the owner's stream still gets the event (recipients read the
     * item itself correctly whatever their stream missed).
     */
    const audienceOf = async (target: { fileId: string } | { folderId: string }): Promise<string[]> => {
      try {
        const query = 'fileId' in target ? `fileId=${encodeURIComponent(target.fileId)}` : `folderId=${encodeURIComponent(target.folderId)}`;
        const res = await app.dapr.invoke(AppIds.files, `${FILES_AUDIENCE_PATH.slice(1)}?${query}`, { timeoutMs: 3_000 });
        if (!res.ok) {
          await res.body?.cancel();
          app.log.warn({ status: res.status }, 'live events: the audience of an item could not be read; only its owner hears of this event');
          return [];
        }
        return ((await res.json()) as { userIds: string[] }).userIds;
      } catch (err) {
        app.log.warn({ err }, 'live events: files unreachable for an item’s audience; only its owner hears of this event');
        return [];
      }
    };

    const deliver = async (event: DeliveredEvent, read: (event: DeliveredEvent) => Readout | undefined) => {
      const published = read(event);
      if (!published) return 'SUCCESS' as const;
      const { owner, data } = published;
      const users = [...new Set([owner, ...(published.also ?? []), ...(published.audience ? await audienceOf(published.audience) : [])])];
      // each user's cached answers may be stale now (a partner's write, a job, another device, an editor)
      for (const user of users) await app.responseCache.invalidate(user);
      const first = await app.redis.set(seenKey(event.id), '1', 'EX', opts.keepSeconds, 'NX');
      if (first !== 'OK') return 'SUCCESS' as const;
      // the trace of the request that caused it: a client (or support) can find the whole path
      const traceId = traceOf(event.traceparent)?.traceId;
      const payload = JSON.stringify({ id: event.id, type: event.type, subject: event.subject, time: event.time, ...(traceId ? { traceId } : {}), data });
      for (const user of users) {
        await app.redis
          .multi()
          .xadd(streamKey(user), 'MAXLEN', '~', String(opts.keepPerUser), '*', 'type', event.type, 'event', payload)
          .expire(streamKey(user), opts.keepSeconds)
          .publish(CHANNEL, user)
          .exec();
      }
      return 'SUCCESS' as const;
    };
    for (const [topic, read] of Object.entries(readers)) {
      app.subscribe({ pubsubname: Components.pubsub, topic, path: `/dapr/events/live/${topic}`, handler: (event) => deliver(event, read) });
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
            sent.inc();
            listener.lastId = id;
            const ended = type === SessionEventTypes.SessionRevoked && (JSON.parse(data) as { data?: { sessionId?: string } }).data?.sessionId === listener.sessionId;
            if (ended) {
              listener.close(LiveStreamEnds.sessionEnded);
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

    subscriber.on('message', (channel: string, message: string) => {
      if (channel === CLOSE_CHANNEL) byStream.get(message)?.close(LiveStreamEnds.tooManyStreams);
      else for (const listener of listeners.get(message) ?? []) void pump(listener);
    });
    await subscriber.connect().catch(() => undefined);
    await subscriber.subscribe(CHANNEL, CLOSE_CHANNEL).catch((err: unknown) => app.log.warn({ err }, 'live events: channels not subscribed yet'));
    subscriber.on('ready', () => void subscriber.subscribe(CHANNEL, CLOSE_CHANNEL).catch(() => undefined));

    // At the start of shutdown, before the server waits for its connections (an open stream would
    // hold it for the whole grace period): every stream ends now with a short retry hint, so its
    // client reconnects, with Last-Event-ID, to a replica that stays.
    app.addHook('preClose', async () => {
      for (const set of listeners.values()) for (const listener of [...set]) listener.close(LiveStreamEnds.serverClosing);
    });
    app.addHook('onClose', async () => {
      subscriber.disconnect();
    });

    // open streams on this replica and events written to them (the dashboard's live panel)
    new Gauge({
      name: 'gateway_sse_connections',
      help: 'Live event streams (SSE) open on this replica.',
      registers: [app.metrics],
      collect() {
        this.set(byStream.size);
      },
    });
    const sent = new Counter({ name: 'gateway_sse_events_sent_total', help: 'Events written to live streams on this replica.', registers: [app.metrics] });

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
        const streamId = randomUUID();
        const heartbeat = setInterval(() => {
          if (auth.sid && app.revocations.isRevoked(auth.sid)) listener.close(LiveStreamEnds.sessionEnded);
          else {
            raw.write(': heartbeat\n\n');
            void app.redis.set(aliveKey(auth.sub, streamId), '1', 'EX', aliveSeconds).catch(() => undefined);
          }
        }, opts.heartbeatMs);
        // the access token's end is the stream's end: the client reconnects with a fresh one
        const expiry = setTimeout(() => listener.close(LiveStreamEnds.tokenExpired), Math.max(0, auth.exp * 1000 - Date.now()));
        const listener: Listener = {
          streamId,
          userId: auth.sub,
          sessionId: auth.sid,
          lastId: newest,
          reply,
          pumping: false,
          again: false,
          close: (event?: LiveStreamEnd) => {
            if (closed) return;
            closed = true;
            clearInterval(heartbeat);
            clearTimeout(expiry);
            set.delete(listener);
            if (set.size === 0) listeners.delete(auth.sub);
            byStream.delete(streamId);
            forget(auth.sub, streamId);
            if (event && !raw.writableEnded) {
              // the client comes back soon after a shutdown (to another replica), at its usual pace otherwise
              const retry = event === LiveStreamEnds.serverClosing ? `retry: ${SHUTDOWN_RETRY_MS}\n` : '';
              raw.write(`${retry}event: ${event}\ndata: {}\n\n`);
            }
            raw.end();
          },
        };
        set.add(listener);
        byStream.set(streamId, listener);
        raw.on('close', () => listener.close());
        // a Redis hiccup must not cost the stream: the bound is then applied at the next open
        await admit(auth.sub, streamId).catch((err: unknown) => app.log.warn({ err }, 'live events: open streams not counted'));
        if (given) await pump(listener);
      },
    );
  },
  { name: 'gateway-live-events', dependencies: ['strata-redis', 'strata-token-auth', 'strata-subscriptions', 'gateway-response-cache'] },
);
