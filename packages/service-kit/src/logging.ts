import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Paths whose next segment is a credential (a link followed without a token, and the UI's share
 * link page `/l/<token>`): a log line keeps the route and drops the secret, whatever its case or percent-encoding (`%2F` is not a separator here).
 */
const CREDENTIAL_IN_PATH = /(\/(?:zip|public)\/links\/|^\/l\/)[^/?#]+/gi;

/** A request's URL as a log line may show it: credentials in the path and the query replaced. */
export function loggableUrl(url: string): string {
  const [path = '', query] = splitOnce(url, '?');
  const safePath = path.replace(CREDENTIAL_IN_PATH, '$1[redacted]');
  if (query === undefined) return safePath;
  const params = new URLSearchParams(query);
  for (const key of [...params.keys()]) if (/token|secret|password|signature|^sig$/i.test(key)) params.set(key, '[redacted]');
  return `${safePath}?${params.toString()}`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Keeps a caller's X-Request-Id when it is sane, else makes one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** A W3C trace context header (version 00), whose ids are not all zeros. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace and span id of a `traceparent` header, if it is one. */
export function traceOf(header: unknown): { traceId: string; spanId: string } | undefined {
  const match = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return { traceId: match[1]!, spanId: match[2]! };
}

/**
 * The request's trace: the `traceparent` that came, when it came from someone whose trace may be
 * continued (`trusted`: the app's sidecar, or a trusted proxy in front of the gateway), or else a
 * new one written into the request's headers, so that every log line of the request, the calls it
 * makes through its sidecar (the gateway forwards the header) and the events it causes (their
 * metadata, then their CloudEvents) share its trace id. A caller from the internet neither picks
 * trace ids (which the event log keeps) nor forces sampling: a new trace is not marked sampled
 * (flags 00), so Dapr's own sampling rate decides.
 */
export function ensureTrace(req: IncomingMessage, trusted = true): { traceId: string; spanId: string } {
  const given = trusted ? traceOf(req.headers.traceparent) : undefined;
  if (given) return given;
  const fresh = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
  req.headers.traceparent = `00-${fresh.traceId}-${fresh.spanId}-00`;
  delete req.headers.tracestate;
  return fresh;
}

/** pino options: JSON in production, pretty on a terminal; credentials never reach a log line. */
export function loggerOptions(appId: string, level: string): NonNullable<FastifyServerOptions['loggerInstance']> | Record<string, unknown> {
  // LOG_FORMAT=pretty|json forces a format; otherwise pretty only on a terminal, outside production
  const format = process.env.LOG_FORMAT;
  const pretty = format === 'pretty' || (format !== 'json' && process.stdout.isTTY && process.env.NODE_ENV !== 'production');
  return {
    level,
    base: { app: appId },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["dapr-api-token"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.accessToken',
        '*.refreshToken',
        '*.client_secret',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(req: { method: string; url: string; headers: Record<string, string | undefined>; ip?: string }) {
        return {
          method: req.method,
          url: loggableUrl(req.url),
          traceparent: req.headers.traceparent,
          remoteAddress: req.ip,
        };
      },
    },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,app', colorize: process.stdout.isTTY, singleLine: true },
          },
        }
      : {}),
  };
}
