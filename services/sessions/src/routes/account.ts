import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { liveSessionsOf } from '../projections/session-list.js';
import { SessionIdParams, SessionList, User, problems } from '../schemas/index.js';

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
      const user = await app.db.selectFrom('sessions.users').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (!user) throw httpError(404, 'No such user.');
      reply.header('cache-control', 'private, no-cache');
      return { id: user.user_id, email: user.email, displayName: user.display_name };
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
