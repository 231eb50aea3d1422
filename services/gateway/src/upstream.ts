import { type AppId, CLIENT_ADDRESS_HEADER, CLIENT_PROTO_HEADER } from '@strata/contracts';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PassThrough } from 'node:stream';

/**
 * Headers a client may not set: they would claim to come from Dapr or from the gateway itself.
 * And `Expect`, which this gateway answers itself (Node sends the 100 Continue): forwarded, the
 * HTTP client refuses the whole call (curl sends it with every body over 1 MiB).
 */
const STRIPPED = /^(dapr-|x-forwarded-|forwarded$|x-strata-|expect$)/i;

/**
 * Where a call to an app goes on the gateway's own sidecar: always Dapr's service invocation API,
 * never the sidecar's root, whose own API (secrets, state, publish, shutdown) answers first
 * whatever `dapr-app-id` says. `url` is the request's canonical path and query.
 */
export function invokeUrl(appId: AppId | string, url: string): string {
  return `/v1.0/invoke/${encodeURIComponent(appId)}/method${url}`;
}

/** The headers an upstream call carries: the client's own (minus the ones it may not set), then ours. */
export function upstreamHeaders(app: FastifyInstance, request: FastifyRequest, headers: Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) if (!STRIPPED.test(name)) out[name] = value;
  return {
    ...out,
    ...app.dapr.headers(),
    // Dapr replaces X-Forwarded-For on the way, so the client's address travels in our own header
    [CLIENT_ADDRESS_HEADER]: request.client.address,
    [CLIENT_PROTO_HEADER]: request.client.protocol,
    'x-request-id': request.id,
  };
}

/**
 * Between sidecars, headers travel as gRPC metadata, which holds printable ASCII only: a header
 * with any other byte would fail inside Dapr (a 5xx). It is the client's mistake, so a 400 that
 * names the header, before anything is forwarded.
 */
export function assertForwardable(request: FastifyRequest): void {
  for (const [name, value] of Object.entries(request.headers)) {
    if (STRIPPED.test(name) || value === undefined) continue;
    if ((Array.isArray(value) ? value : [value]).some((v) => /[^\t\x20-\x7e]/.test(v))) {
      throw httpError(400, `The ${name} header holds characters outside printable ASCII; encode them (RFC 8187, base64 or percent-encoding).`);
    }
  }
}

/** What the gateway holds for a slow client beyond the socket's own buffer: one undici read's worth. */
const THROUGH_HIGH_WATER_MARK = 64 * 1024;

/**
 * An upstream answer's body, streamed to the client, in as few writes as it arrives in.
 *
 * Dapr hands a streamed answer on in 2 KiB pieces (`StreamBufferSize` of daprd's service
 * invocation), and the gateway's sidecar flushes each one as a chunk of its own: a ZIP of 2 GiB
 * reaches the gateway as a million chunks. Piped as they came, every piece cost a write to the
 * client's socket, a chunk header and a chunk for the client to parse: 5 to 7 CPU seconds per GiB
 * in the gateway (README, "Streamed answers"). Here the body is read in paused mode and everything that has arrived
 * is taken at once (`read()` returns the whole buffer, up to undici's 64 KiB): pieces that arrive
 * together leave together, and nothing waits for more to come (no timer, so a live stream's
 * events are not held back). Backpressure holds: nothing is read while the client is behind.
 *
 * If the client leaves first, the rest is read and dropped rather than the call being cut off:
 * daprd 1.17.2 to 1.18.x crashes when the caller of an invocation leaves while the body is still
 * streaming (dapr/dapr#10371), which would take every call on this gateway with it. Costs reading
 * the rest of what was asked for.
 */
export function throughClient(upstream: NodeJS.ReadableStream, log: FastifyRequest['log']): PassThrough {
  const out = new PassThrough({ highWaterMark: THROUGH_HIGH_WATER_MARK });
  let ended = false;
  let waiting = false;
  const pump = () => {
    if (waiting || out.destroyed) return;
    for (let chunk = upstream.read(); chunk !== null; chunk = upstream.read()) {
      if (!out.write(chunk)) {
        waiting = true;
        out.once('drain', () => {
          waiting = false;
          pump();
        });
        return;
      }
    }
  };
  upstream.on('readable', pump);
  upstream.once('end', () => {
    ended = true;
    out.end();
  });
  upstream.once('error', (err: Error) => out.destroy(err));
  out.once('close', () => {
    if (ended) return;
    // nobody reads it now but us: back to flowing mode (a 'data' listener, once no 'readable' one is left)
    upstream.removeListener('readable', pump);
    upstream.on('data', () => undefined);
    log.info('the client left before the body ended; the rest is read and dropped');
  });
  return out;
}

/**
 * What Dapr says, in its own words (`failed to invoke, id: <app>, err: <why>`), when the call could
 * not even be started: the app-id does not resolve (not registered yet, no such host), its sidecar
 * or the app refuses the connection, or an API or channel is not initialized. Nothing was sent, so
 * a client may send it again.
 */
const NOT_SENT = [
  /connect: connection refused/i,
  /error while dialing/i,
  /no such host/i,
  /no host found/i,
  /failed to resolve/i,
  /couldn't find service/i,
  /resolver returned empty address/i,
  /name resolver not initialized/i,
  /app channel not initialized/i,
  /invoke API is not ready/i,
];

/**
 * The status a client gets for a 5xx of the sidecar itself (not the app's problem+json): 504 for
 * Dapr's timeout; 503 (retry later) only when Dapr's error says the call was never sent to the
 * app; otherwise 502, because the app may have done the work (it died after committing a POST,
 * Dapr answers 500 ERR_DIRECT_INVOKE) and a retry of a write could apply it twice.
 */
export function sidecarFailureStatus(statusCode: number, body: string): 502 | 503 | 504 {
  if (statusCode === 504) return 504;
  let error: { errorCode?: unknown; message?: unknown } | undefined;
  try {
    error = JSON.parse(body) as typeof error;
  } catch {
    return 502;
  }
  if (typeof error?.message !== 'string') return 502;
  const message = error.message;
  if (error.errorCode === 'ERR_DIRECT_INVOKE' && NOT_SENT.some((re) => re.test(message))) return 503;
  return 502;
}

/**
 * The status a client gets when the gateway's own call to its sidecar fails with no answer at all
 * (reply-from turns those into 500s): the sidecar refusing the connection (killed, restarting) is
 * a call never sent, a 503 to retry; a timeout a 504; a connection cut or reset mid-call a 502,
 * since the app may have done the work. Found by `npm run chaos -- kill` (load/CHAOS.md).
 */
export function sidecarConnectionFailureStatus(error: unknown): 502 | 503 | 504 {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  if (codes.some((c) => c === 'ECONNREFUSED' || c === 'FST_REPLY_FROM_SERVICE_UNAVAILABLE' || c === 'ENOTFOUND')) return 503;
  if (codes.some((c) => /TIMEOUT/.test(c))) return 504;
  return 502;
}
