import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Components, SessionEventTypes } from '@strata/contracts';
import { ConcurrencyError } from '@strata/event-store';
import { AppError, httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { AccountState } from '../domain/account/account.js';
import { EmailTakenError } from '../domain/account/decide.js';
import { SessionEndedError, SessionNotFoundError } from '../domain/session/decide.js';
import { type SessionState, sessionExpiresAt } from '../domain/session/session.js';
import { HashingBusyError } from '../password-hasher.js';
import { requireMediaType, requireOwnOrigin } from '../request-guards.js';
import { AccessToken, EmptyBody, LoginBody, RegisterBody, User, problems } from '../schemas/index.js';
import { sessionStream } from '../streams.js';
import { describeDevice, newRefreshToken, newSessionId, parseRefreshToken } from '../tokens.js';
import { USER_SCOPES } from '@strata/auth';

export const REFRESH_COOKIE = 'strata_refresh';
const COOKIE_PATH = '/api/v1/auth';

export async function authRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const jsonOnly = requireMediaType('application/json');
  // the routes that set or spend the refresh cookie (see request-guards.ts)
  const cookieRoute = [requireOwnOrigin(config.PUBLIC_ORIGINS), jsonOnly];

  const setRefreshCookie = (request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number) =>
    reply.setCookie(REFRESH_COOKIE, token, {
      path: COOKIE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: request.context.clientProtocol === 'https',
      maxAge: maxAgeSeconds,
    });
  const clearRefreshCookie = (reply: FastifyReply) =>
    reply.clearCookie(REFRESH_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'strict' });

  /**
   * Keeps the live record in the Dapr state store: it expires by itself when the session idles
   * out. The device and address are the request's, as the devices list shows them.
   */
  const saveLiveSession = async (state: SessionState, request: FastifyRequest) => {
    if (state.status !== 'active') return;
    const ttl = Math.max(1, Math.ceil((sessionExpiresAt(state).getTime() - app.clock.now().getTime()) / 1000));
    await app.dapr.saveState(Components.statestore, [
      {
        key: sessionStream(state.sessionId),
        value: {
          sessionId: state.sessionId,
          userId: state.userId,
          device: describeDevice(request.context.userAgent),
          address: request.context.clientAddress,
          createdAt: state.startedAt.toISOString(),
          lastSeenAt: state.lastSeenAt.toISOString(),
          expiresAt: sessionExpiresAt(state).toISOString(),
        },
        ttlInSeconds: ttl,
      },
    ]);
  };

  /**
   * The only moment the password is known: a hash older than the current cost (scrypt, or weaker
   * Argon2id) is replaced now. It is worth a sign-in's extra hash, never a failed sign-in: when
   * the hasher is busy or another sign-in rehashed first, the next sign-in tries again.
   */
  const upgradeHash = async (email: string, state: Extract<AccountState, { status: 'registered' }>, password: string, request: FastifyRequest) => {
    if (!app.passwords.needsRehash(state.passwordHash)) return;
    try {
      const passwordHash = await app.passwords.hash(password);
      await app.commands.accounts.handle(
        email,
        { type: 'RehashPassword', data: { userId: state.userId, previousHash: state.passwordHash, passwordHash, now: app.clock.now() } },
        { metadata: request.context.metadata(`user:${state.userId}`) },
      );
    } catch (error) {
      if (!(error instanceof HashingBusyError || error instanceof ConcurrencyError)) throw error;
      request.log.info({ reason: error.name }, 'password hash not upgraded this time');
    }
  };

  const accessToken = async (userId: string, sessionId: string) => {
    const { token } = await app.signer.sign({ sub: userId, kind: 'user', sid: sessionId, scope: [...USER_SCOPES] });
    return { accessToken: token, tokenType: 'Bearer' as const, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS };
  };

  r.post(
    '/api/v1/auth/register',
    {
      onRequest: jsonOnly,
      schema: {
        summary: 'Create an account',
        tags: ['auth'],
        consumes: ['application/json'],
        body: RegisterBody,
        response: { 201: User, ...problems(400, 409, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const displayName = request.body.displayName?.trim() || email.split('@')[0]!;
      const userId = randomUUID();
      const passwordHash = await app.passwords.hash(password);
      try {
        await app.commands.accounts.handle(
          email,
          { type: 'RegisterUser', data: { userId, email: email.trim(), displayName, passwordHash, now: app.clock.now() } },
          { metadata: request.context.metadata(`user:${userId}`) },
        );
      } catch (error) {
        if (error instanceof EmailTakenError || error instanceof ConcurrencyError) {
          throw httpError(409, 'An account with this e-mail address exists already.');
        }
        throw error;
      }
      reply.code(201).header('location', '/api/v1/me');
      return { id: userId, email: email.trim(), displayName };
    },
  );

  r.post(
    '/api/v1/auth/login',
    {
      onRequest: cookieRoute,
      schema: {
        summary: 'Sign in; sets the refresh-token cookie',
        tags: ['auth'],
        consumes: ['application/json'],
        body: LoginBody,
        response: { 200: AccessToken, ...problems(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const address = request.context.clientAddress;
      await app.loginThrottle.check(email, address, reply);
      const { state } = await app.commands.accounts.load(email);
      // the same work whether or not the account exists (a decoy hash): no timing tells them apart
      const ok = await app.passwords.verify(password, state.status === 'registered' ? state.passwordHash : undefined);
      if (state.status !== 'registered' || !ok) {
        await app.loginThrottle.failed(email, address);
        throw new AppError(401, 'invalid-credentials', 'Unauthorized', 'The e-mail address or the password is not right.');
      }
      await app.loginThrottle.succeeded(email);
      await upgradeHash(email, state, password, request);
      const sessionId = newSessionId();
      const refresh = newRefreshToken(sessionId);
      const started = await app.commands.sessions.handle(
        sessionId,
        {
          type: 'StartSession',
          data: {
            sessionId,
            userId: state.userId,
            refreshTokenHash: refresh.hash,
            idleTimeoutSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS,
            absoluteLifetimeSeconds: config.SESSION_ABSOLUTE_LIFETIME_SECONDS,
            now: app.clock.now(),
          },
        },
        { metadata: request.context.metadata(`user:${state.userId}`) },
      );
      await saveLiveSession(started.state, request);
      setRefreshCookie(request, reply, refresh.token, config.SESSION_ABSOLUTE_LIFETIME_SECONDS);
      reply.header('cache-control', 'no-store');
      return accessToken(state.userId, sessionId);
    },
  );

  r.post(
    '/api/v1/auth/refresh',
    {
      onRequest: cookieRoute,
      schema: {
        summary: 'New access token from the refresh-token cookie; the refresh token rotates',
        description: 'Send `content-type: application/json` with `{}` or an empty body.',
        tags: ['auth'],
        consumes: ['application/json'],
        body: EmptyBody,
        response: { 200: AccessToken, ...problems(400, 401, 403, 409, 415) },
      },
    },
    async (request, reply) => {
      const presented = parseRefreshToken(request.cookies[REFRESH_COOKIE]);
      const denied = (detail: string) => {
        clearRefreshCookie(reply);
        return new AppError(401, 'session-ended', 'Unauthorized', detail);
      };
      if (!presented) throw denied('Sign in again: there is no valid refresh token.');
      const live = await app.dapr.getState(Components.statestore, sessionStream(presented.sessionId));
      const next = newRefreshToken(presented.sessionId);
      let result;
      try {
        result = await app.commands.sessions.handle(
          presented.sessionId,
          {
            type: 'RefreshSession',
            data: { presentedTokenHash: presented.hash, newTokenHash: next.hash, now: app.clock.now(), liveRecordMissing: live === undefined },
          },
          { metadata: request.context.metadata('system') },
        );
      } catch (error) {
        if (error instanceof SessionEndedError || error instanceof SessionNotFoundError) throw denied('Sign in again: this session has ended.');
        if (error instanceof ConcurrencyError) {
          throw new AppError(409, 'refresh-in-progress', 'Conflict', 'Another refresh of this session just finished; retry with the newest cookie.');
        }
        throw error;
      }
      const revoked = result.events.find((e) => e.type === SessionEventTypes.SessionRevoked);
      if (revoked?.type === SessionEventTypes.SessionRevoked) {
        await app.endSession(revoked.data.sessionId);
        throw denied(
          revoked.data.reason === 'refresh-token-reuse'
            ? 'This refresh token was used before; the session has been ended to protect the account.'
            : 'Sign in again: this session has expired.',
        );
      }
      if (result.state.status !== 'active') throw denied('Sign in again: this session has ended.');
      await saveLiveSession(result.state, request);
      setRefreshCookie(request, reply, next.token, config.SESSION_ABSOLUTE_LIFETIME_SECONDS);
      reply.header('cache-control', 'no-store');
      return accessToken(result.state.userId, result.state.sessionId);
    },
  );

  r.post(
    '/api/v1/auth/logout',
    {
      onRequest: cookieRoute,
      schema: {
        summary: 'Sign out: ends this session',
        description: 'Send `content-type: application/json` with `{}` or an empty body.',
        tags: ['auth'],
        consumes: ['application/json'],
        body: EmptyBody,
        response: { 204: { type: 'null' }, ...problems(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      // the session from the access token when there is one, else from the refresh cookie
      let sessionId: string | undefined;
      let userId: string | undefined;
      if (request.headers.authorization) {
        await app.authenticate(request, reply);
        sessionId = request.auth?.sid;
        userId = request.auth?.sub;
      } else {
        const presented = parseRefreshToken(request.cookies[REFRESH_COOKIE]);
        if (presented) {
          const { state } = await app.commands.sessions.load(presented.sessionId);
          if (state.status === 'active' && state.currentTokenHash === presented.hash) {
            sessionId = state.sessionId;
            userId = state.userId;
          }
        }
      }
      if (sessionId && userId) await app.revokeSession(sessionId, userId, 'logout', `user:${userId}`, request.context.metadata(`user:${userId}`));
      clearRefreshCookie(reply);
      return reply.code(204).send();
    },
  );
}
