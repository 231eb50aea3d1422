import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { liveSessionsOf } from '../projections/session-list.js';
import { REFRESH_COOKIE } from './auth.js';
import { AccountNotFoundError } from '../domain/account/decide.js';
import { userById } from '../projections/users.js';
import { requireMediaType } from '../request-guards.js';
import { EmptyBody, SessionIdParams, SessionList, UpdateMeBody, User, problems } from '../schemas/index.js';

function userOf(request: FastifyRequest): { userId: string; sessionId: string } {
  const auth = request.auth;
  if (!auth || auth.kind !== 'user' || !auth.sid) throw httpError(403, 'Only a signed-in user can do this.');
  return { userId: auth.sub, sessionId: auth.sid };
}

export async function accountRoutes(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/me',
    {
      preHandler: app.authenticate,
      schema: { summary: 'The signed-in user', tags: ['account'], security: [{ bearer: [] }], response: { 200: User, ...problems(401, 403, 404) } },
    },
    async (request, reply) => {
      const { userId } = userOf(request);
      const user = await userById(app.db, userId);
      if (!user) throw httpError(404, 'No such user.');
      reply.header('cache-control', 'private, no-cache');
      return { id: user.user_id, email: user.email, displayName: user.display_name };
    },
  );

  r.patch(
    '/api/v1/me',
    {
      onRequest: requireMediaType('application/json'),
      preHandler: app.authenticate,
      schema: {
        summary: 'Change your display name',
        tags: ['account'],
        security: [{ bearer: [] }],
        consumes: ['application/json'],
        body: UpdateMeBody,
        response: { 200: User, ...problems(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const { userId } = userOf(request);
      const displayName = request.body.displayName.trim();
      if (!displayName) throw httpError(400, 'The display name must not be blank.');
      const user = await userById(app.db, userId);
      if (!user) throw httpError(404, 'No such user.');
      try {
        await app.commands.accounts.handle(
          user.email,
          { type: 'ChangeDisplayName', data: { userId, displayName, now: app.clock.now() } },
          { metadata: request.context.metadata(`user:${userId}`), retries: 2 },
        );
      } catch (error) {
        if (error instanceof AccountNotFoundError) throw httpError(404, 'No such user.');
        throw error;
      }
      return { id: userId, email: user.email, displayName };
    },
  );

  r.post(
    '/api/v1/sessions/revoke-all',
    {
      onRequest: requireMediaType('application/json'),
      preHandler: app.authenticate,
      schema: {
        summary: 'Sign out everywhere: every session of yours ends, this one included',
        description: 'Send `content-type: application/json` with `{}` or an empty body. Tokens of every session are refused on every replica within a second.',
        tags: ['account'],
        security: [{ bearer: [] }],
        consumes: ['application/json'],
        body: EmptyBody,
        response: { 204: { type: 'null' }, ...problems(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      const { userId } = userOf(request);
      await app.revokeSessionsOf(userId, 'signed-out-everywhere', `user:${userId}`, request.context.metadata(`user:${userId}`));
      reply.clearCookie(REFRESH_COOKIE, { path: '/api/v1/auth', httpOnly: true, sameSite: 'strict' });
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/v1/sessions',
    {
      preHandler: app.authenticate,
      schema: {
        summary: "The caller's live sessions (devices)",
        tags: ['account'],
        security: [{ bearer: [] }],
        response: { 200: SessionList, ...problems(401, 403) },
      },
    },
    async (request, reply) => {
      const { userId, sessionId } = userOf(request);
      const rows = await liveSessionsOf(app.db, userId, app.clock.now(), {
        idleSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS,
        lifetimeSeconds: config.SESSION_ABSOLUTE_LIFETIME_SECONDS,
      });
      reply.header('cache-control', 'private, no-cache');
      return {
        items: rows.map((s) => ({
          id: s.session_id,
          device: s.device,
          address: s.address,
          createdAt: s.created_at.toISOString(),
          lastSeenAt: s.last_seen_at.toISOString(),
          current: s.session_id === sessionId,
        })),
      };
    },
  );

  r.delete(
    '/api/v1/sessions/:id',
    {
      preHandler: app.authenticate,
      schema: {
        summary: 'Sign out one of your sessions (another device)',
        tags: ['account'],
        security: [{ bearer: [] }],
        params: SessionIdParams,
        response: { 204: { type: 'null' }, ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId } = userOf(request);
      const outcome = await app.revokeSession(request.params.id, userId, 'revoked', `user:${userId}`, request.context.metadata(`user:${userId}`));
      if (outcome === 'not-found') throw httpError(404, 'No such session.');
      return reply.code(204).send();
    },
  );
}
