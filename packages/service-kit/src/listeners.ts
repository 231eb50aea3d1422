import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type RequestListener, STATUS_CODES, type Server, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { type InjectOptions, type Response as InjectResponse, inject } from 'light-my-request';
import { AppError } from './errors.js';

/*
 * Which listener serves which route, decided by the route's own pattern (never by how a request
 * spells its path), so a route cannot end up on the wrong listener by a typo or an odd spelling.
 *
 * - main: the app's API. For the gateway it is the public entry; for every other app it is the
 *   Dapr app channel, reached only through the app's own sidecar.
 * - internal: probes, metrics and operator views (kubelet, Prometheus, kubectl port-forward).
 *
 * The app channel (where the sidecar delivers subscriptions and runs its health checks) is the
 * main listener, except for the gateway, whose main listener is public: its sidecar talks to its
 * internal listener.
 */

export type ListenerName = 'main' | 'internal';

/**
 * - api: the app's own routes (every pattern outside the reserved prefixes);
 * - channel: `/dapr/*`, for the sidecar only (subscriptions, configuration);
 * - probe: `/health/live` and `/health/ready` (kubelet, and Dapr's app health check);
 * - ops: `/metrics` and every other `/health/*` (operator views).
 */
export type Exposure = 'api' | 'channel' | 'probe' | 'ops';

/** First path segments that belong to the platform, whatever their case: never an app's API, never the UI. */
export const RESERVED_PREFIX = /^\/(dapr|health|metrics)(\/|$)/i;

export function exposureOf(routePattern: string): Exposure {
  if (/^\/dapr(\/|$)/.test(routePattern)) return 'channel';
  if (routePattern === '/health/live' || routePattern === '/health/ready') return 'probe';
  if (routePattern === '/metrics' || /^\/health(\/|$)/.test(routePattern)) return 'ops';
  return 'api';
}

export function serves(listener: ListenerName, exposure: Exposure, channel: ListenerName): boolean {
  switch (exposure) {
    case 'api':
      return listener === 'main';
    case 'channel':
      return listener === channel;
    case 'probe':
      return listener === 'internal' || listener === channel;
    case 'ops':
      return listener === 'internal';
    default: {
      const unknown: never = exposure;
      throw new Error(`unknown exposure ${String(unknown)}`);
    }
  }
}

const INTERNAL = Symbol('strata.internal-listener');
type Marked = IncomingMessage & { [INTERNAL]?: true };

export function listenerOf(req: IncomingMessage): ListenerName {
  return (req as Marked)[INTERNAL] ? 'internal' : 'main';
}

/** Fastify's keep-alive default; Node's 5 s would race load balancers that keep connections longer. */
const KEEP_ALIVE_MS = 72_000;

/** The second listener: the same Fastify handler, with every request marked as arriving on it. */
export class InternalListener {
  readonly server: Server;
  private readonly handler: RequestListener;

  constructor(handler: RequestListener) {
    this.handler = (req, res) => {
      (req as Marked)[INTERNAL] = true;
      handler(req, res);
    };
    this.server = createServer(this.handler);
    this.server.keepAliveTimeout = KEEP_ALIVE_MS;
    this.server.on('clientError', answerClientError);
  }

  /** Like `app.inject`, as a request arriving on this listener (tests); call after `app.ready()`. */
  inject(options: InjectOptions | string): Promise<InjectResponse> {
    return inject(this.handler, options);
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }
}

/**
 * What a request that never reached Fastify gets (a header block over Node's 16 KiB, a malformed
 * request line, a timeout): the same problem+json as every other refusal, then the connection
 * closes, as Node does. An answer to HEAD has no body (RFC 9110 9.3.2): a client would read the
 * body as the start of a next answer.
 */
export function answerClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'The request headers are larger than this server accepts (16 KiB).']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'The request did not arrive in time.']
    : [400, 'The request is not valid HTTP.'];
  const title = STATUS_CODES[status] ?? 'Bad request';
  const code = status === 431 ? 'request-header-fields-too-large' : status === 408 ? 'request-timeout' : 'bad-request';
  const body = JSON.stringify({ type: `https://strata.dev/problems/${code}`, title, status, detail });
  // the parser hands over what it was reading: the request's start, unless its headers came in several reads
  const head = Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`,
  );
}

export function mainServer(handler: RequestListener): Server {
  const server = createServer(handler);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  return server;
}

export interface GuardOptions {
  /** Which listener the sidecar talks to. */
  channel: ListenerName;
  /** The token the sidecar presents (APP_API_TOKEN); unset, `/dapr/*` answers nobody. */
  appToken: string | undefined;
}

function sameSecret(given: unknown, expected: Buffer): boolean {
  if (typeof given !== 'string') return false;
  const buffer = Buffer.from(given);
  return buffer.length === expected.length && timingSafeEqual(buffer, expected);
}

const notFound = (request: FastifyRequest) =>
  new AppError(404, 'not-found', 'Not found', `No route ${request.method} ${request.url.split('?')[0]}`);

/**
 * The onRequest check every app runs first: the route must be served on the listener the
 * request came in on (else the same 404 as an unknown path), and what only the sidecar may call
 * must carry the sidecar's token. On the app channel of an app other than the gateway, that is
 * every API route too: nothing but the sidecar reaches it, so `dapr-caller-app-id` can be
 * believed. `/dapr/*` must also not be a service invocation from another app (the sidecar sends
 * its token on invocations as well; only its own deliveries lack a caller app-id).
 */
export function listenerGuard(options: GuardOptions) {
  const token = options.appToken ? Buffer.from(options.appToken) : undefined;
  return async (request: FastifyRequest) => {
    const pattern = request.routeOptions.url;
    if (pattern === undefined) return;
    const exposure = exposureOf(pattern);
    const listener = listenerOf(request.raw);
    if (!serves(listener, exposure, options.channel)) throw notFound(request);
    const sidecarOnly = exposure === 'channel' || (exposure === 'api' && listener === options.channel);
    if (!sidecarOnly) return;
    if (exposure === 'api' && !token) return;
    if (!token || !sameSecret(request.headers['dapr-api-token'], token)) {
      throw new AppError(401, 'unauthorized', 'Unauthorized', 'Only this app\'s Dapr sidecar may call it here.');
    }
    if (exposure === 'channel' && request.headers['dapr-caller-app-id'] !== undefined) throw notFound(request);
  };
}
