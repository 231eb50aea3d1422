import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
          url: req.url,
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
