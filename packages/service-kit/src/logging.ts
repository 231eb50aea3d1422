import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Paths whose next segment is a credential (a link followed without a token): a log line keeps the
 * route and drops the secret, whatever its case or percent-encoding (`%2F` is not a separator here).
 */
const CREDENTIAL_IN_PATH = /(\/(?:zip|public)\/links\/)[^/?#]+/gi;

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
