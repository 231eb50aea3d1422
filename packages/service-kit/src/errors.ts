import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEPENDENCY_RETRY_AFTER_SECONDS, dependencyFailureOf } from './dependencies.js';
import { RESERVED_PREFIX } from './listeners.js';

/** RFC 9457 problem details, as every Strata API error is sent. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://strata.dev/problems/';

/** The one error type services throw. Its fields become the problem+json body. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
    this.name = 'AppError';
  }

  toProblem(instance?: string): Problem {
    return {
      type: `${TYPE_BASE}${this.code}`,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

const STATUS_TITLES: Record<number, [code: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Payload too large'],
  414: ['uri-too-long', 'URI too long'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable-content', 'Unprocessable content'],
  429: ['too-many-requests', 'Too many requests'],
  502: ['bad-gateway', 'Bad gateway'],
  503: ['unavailable', 'Service unavailable'],
  504: ['gateway-timeout', 'Gateway timeout'],
};

export function httpError(status: number, detail?: string, extensions?: Record<string, unknown>): AppError {
  const [code, title] = STATUS_TITLES[status] ?? ['error', 'Error'];
  return new AppError(status, code, title, detail, extensions);
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** The 503 for a dependency that is away: problem+json and Retry-After, no internals. */
export function unavailable(detail = 'A service this request needs is unavailable for a moment; try again shortly.'): AppError {
  return httpError(503, detail);
}

function sendUnavailable(reply: FastifyReply, instance: string | undefined): FastifyReply {
  if (!reply.hasHeader('retry-after')) reply.header('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS));
  return sendProblem(reply, unavailable().toProblem(instance));
}

/** The most of a refused body (too large, a type nobody parses) read and dropped before the answer. */
const REFUSED_BODY_DRAIN_BYTES = 16 * 1024 * 1024;
const REFUSED_BODY_DRAIN_MS = 5_000;

/**
 * Reads and drops the rest of a request body Fastify refused before reading it, so that the
 * answer can go out on a connection that stays open. Fastify answers such a refusal at once with
 * `Connection: close`; closing a socket with unread bytes makes the kernel reset it, and a caller
 * still writing the body (daprd forwarding an invocation) loses the answer with the connection and
 * reports a 502 instead of the 413. True when the body ended within the limits; false (the socket
 * then closes as Fastify meant) for a body larger than 16 MiB or slower than 5 s.
 */
function drainRefusedBody(request: FastifyRequest): Promise<boolean> {
  const raw = request.raw;
  if (raw.readableEnded || raw.destroyed) return Promise.resolve(raw.readableEnded);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
      if (!ended) raw.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > REFUSED_BODY_DRAIN_BYTES) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), REFUSED_BODY_DRAIN_MS);
    // a parser that stopped reading would hold the body back through its pipe
    raw.unpipe();
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('error', onError);
    raw.resume();
  });
}

/** The requests whose refused body was too large or too slow to drain: their connection closes, nobody reads more. */
export const UNDRAINED = new WeakSet<FastifyRequest['raw']>();

/**
 * A 413 or 415 answered while the body is still unread, by Fastify's content-type parsing (its
 * own refusals and the platform's `*` parser's 415 alike: it marks every parser error
 * `Connection: close`) or by a route that refused before reading: read the rest first, then answer
 * on a connection that stays open (drainRefusedBody).
 */
function sendRefusal(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply | Promise<void> {
  if ((problem.status !== 413 && problem.status !== 415) || request.raw.readableEnded || request.raw.destroyed) return sendProblem(reply, problem);
  return drainRefusedBody(request).then((ended) => {
    if (ended) reply.removeHeader('connection');
    else UNDRAINED.add(request.raw);
    sendProblem(reply, problem);
  });
}

/**
 * Maps every error to problem+json: AppError as it says, Fastify's own 4xx (validation, body too
 * large, bad JSON, unsupported type) with their message, and anything else as a bare 500 whose
 * details stay in the log. A body refused unread is read and dropped first (sendRefusal).
 */
export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    const instance = request.url.split('?')[0];
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      if (error.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS));
      return sendRefusal(request, reply, error.toProblem(instance));
    }
    // a dependency away (Postgres failing over, Redis, the sidecar, Blob Storage): the request was
    // fine and will succeed again shortly, so a 503 with Retry-After, never a 500
    const failure = dependencyFailureOf(error);
    if (failure) {
      request.log.warn({ err: error, dependency: failure.dependency, reason: failure.reason }, 'a dependency is unavailable: 503');
      return sendUnavailable(reply, instance);
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status === 503) {
      request.log.warn({ err: error }, 'unavailable: 503');
      return sendUnavailable(reply, instance);
    }
    if (status >= 400 && status < 500) {
      const problem = httpError(status, error.message).toProblem(instance);
      if (error.validation) problem.errors = error.validation.map((v) => ({ path: v.instancePath, message: v.message }));
      return sendRefusal(request, reply, problem);
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, {
      type: `${TYPE_BASE}internal`,
      title: 'Internal server error',
      status: status >= 500 ? status : 500,
      detail: `The request could not be completed. Quote request id ${request.id} when reporting it.`,
      instance,
    });
  });

  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    // the path exists with other methods: 405 and the methods it takes (never for the platform's
    // own paths, which a 405 would reveal on a listener that does not serve them)
    const allowed = RESERVED_PREFIX.test(path) ? [] : methods.filter((method) => method !== request.method && app.findRoute({ method, url: path }));
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, httpError(405, `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}.`).toProblem(path));
    }
    return sendProblem(reply, httpError(404, `No route ${request.method} ${path}`).toProblem());
  });
}
