import { Readable } from 'node:stream';
import { type RateLimitRouteClass, RateLimitRouteClasses, type RateLimitSubject } from '@strata/contracts';
import { isBearer } from '@strata/auth';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/*
 * Who a request is counted as: the caller a valid token names, else its address; and, for
 * sign-in, registration and token requests, the account it names.
 */

/** The sessions service's refresh-token cookie: `<session id>.<secret>`. */
const REFRESH_COOKIE = 'strata_refresh';
/** The one token route whose body names nobody: its account is the session of the refresh cookie. */
const REFRESH_PATH = '/api/v1/auth/refresh';
/** Sign-in, registration and token bodies are small; a larger one is refused before it is read further. */
export const MAX_AUTH_BODY_BYTES = 16 * 1024;
/** The longest account the ratelimit service accepts (an e-mail address at most). */
const MAX_ACCOUNT_LENGTH = 320;

function jsonField(body: Buffer, field: string): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object') {
      const value = (parsed as Record<string, unknown>)[field];
      return typeof value === 'string' ? value : undefined;
    }
  } catch {
    // not JSON: the service answers 400 itself
  }
  return undefined;
}

const BASIC = /^Basic ([A-Za-z0-9+/=]+)$/;

/** The client id of Basic credentials (RFC 6749 2.3.1: form-encoded, then base64). */
function basicClientId(credentials: string): string | undefined {
  const id = Buffer.from(credentials, 'base64').toString('utf8').split(':')[0];
  try {
    return id ? decodeURIComponent(id) : undefined;
  } catch {
    return undefined;
  }
}

function refreshSession(cookieHeader: string | undefined): string | undefined {
  const cookie = String(cookieHeader ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${REFRESH_COOKIE}=`));
  return cookie?.slice(REFRESH_COOKIE.length + 1).split('.')[0];
}

/**
 * The account a sign-in, registration or token request names: the e-mail of login and register,
 * the client id of a client-credentials request (Basic or body), the session of a refresh cookie.
 * Unverified on purpose: a guesser pays per account named and, whatever it names, per address.
 */
export function accountOf(
  routeClass: RateLimitRouteClass,
  headers: FastifyRequest['headers'],
  body: Buffer | undefined,
): string | undefined {
  const type = String(headers['content-type'] ?? '');
  let account: string | undefined;
  if (routeClass === RateLimitRouteClasses.login || routeClass === RateLimitRouteClasses.register) {
    account = body && type.includes('json') ? jsonField(body, 'email') : undefined;
  } else if (routeClass === RateLimitRouteClasses.token) {
    const basic = BASIC.exec(headers.authorization ?? '')?.[1];
    if (basic) account = basicClientId(basic);
    else if (body && type.includes('json')) account = jsonField(body, 'client_id');
    else if (body && type.includes('application/x-www-form-urlencoded')) account = new URLSearchParams(body.toString('utf8')).get('client_id') ?? undefined;
    else account = refreshSession(headers.cookie);
  }
  account = account?.trim().slice(0, MAX_ACCOUNT_LENGTH);
  return account ? account : undefined;
}

/** Reads a small body whole and puts an identical stream back for the proxy to forward. */
export async function bufferBody(request: FastifyRequest): Promise<Buffer | undefined> {
  const body = request.body;
  if (!(body instanceof Readable)) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > MAX_AUTH_BODY_BYTES) throw httpError(413, `Sign-in, registration and token bodies are at most ${MAX_AUTH_BODY_BYTES} bytes.`);
    chunks.push(buffer);
  }
  const whole = Buffer.concat(chunks);
  request.body = Readable.from(whole.length > 0 ? [whole] : []);
  return whole;
}

/**
 * Who a request counts as. A valid token names the caller (a user, or a partner with its plan);
 * anything else, no token or a bad one, is anonymous and counted by the client's address (the
 * connection's peer, or what a trusted proxy says). Every subject carries the address, which the
 * sign-in policies count by whoever the caller is.
 */
export async function subjectOf(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  routeClass: RateLimitRouteClass,
): Promise<RateLimitSubject> {
  if (!request.auth && isBearer(request.headers.authorization)) {
    try {
      await app.authenticate(request, reply);
    } catch {
      // the route refuses the token itself (401) when it needs one; here the caller is anonymous
      reply.removeHeader('www-authenticate');
    }
  }
  const auth = request.auth;
  const address = request.client.address;
  const subject: RateLimitSubject = auth
    ? { kind: auth.kind, id: auth.sub, ...(auth.plan ? { plan: auth.plan } : {}), address }
    : { kind: 'anonymous', id: address, address };
  if (routeClass !== RateLimitRouteClasses.api) {
    const body = path === REFRESH_PATH ? undefined : await bufferBody(request);
    const account = accountOf(routeClass, request.headers, body);
    if (account) subject.account = account;
  }
  return subject;
}
