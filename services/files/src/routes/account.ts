import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../caller.js';
import type { Config } from '../config.js';
import { Activity, PageQuery, Usage, problems } from '../schemas/index.js';

export async function accountRoutes(app: FastifyInstance, opts: { config: Config }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const read = app.requireScopes('files:read');

  r.get(
    '/api/v1/usage',
    { preHandler: read, schema: { summary: 'Your storage: bytes, files and versions (trash included), by content type, and your quota', tags: ['usage'], security, response: { 200: Usage, ...problems(401, 403) } } },
    async (request, reply) => {
      const { ownerId } = callerOf(request);
      const [usage, byType] = await Promise.all([
        app.db.selectFrom('files.usage').selectAll().where('owner_id', '=', ownerId).executeTakeFirst(),
        app.db.selectFrom('files.usage_by_type').selectAll().where('owner_id', '=', ownerId).where('versions', '>', 0).orderBy('bytes', 'desc').execute(),
      ]);
      reply.header('cache-control', 'private, no-cache');
      return {
        bytes: Number(usage?.bytes ?? 0),
        files: usage?.files ?? 0,
        versions: usage?.versions ?? 0,
        quotaBytes: opts.config.QUOTA_BYTES,
        byContentType: byType.map((t) => ({ contentType: t.content_type, bytes: Number(t.bytes), versions: t.versions })),
      };
    },
  );

  r.get(
    '/api/v1/activity',
    {
      preHandler: read,
      schema: { summary: 'Your audit trail: who did what to your files, when, from where; newest first', tags: ['activity'], security, querystring: PageQuery, response: { 200: Activity, ...problems(400, 401, 403) } },
    },
    async (request, reply) => {
      const { ownerId } = callerOf(request);
      let q = app.db.selectFrom('files.activity').selectAll().where('owner_id', '=', ownerId);
      if (request.query.cursor) {
        if (!/^\d{1,18}$/.test(request.query.cursor)) throw httpError(400, 'The cursor is not one this API gave out.');
        q = q.where('seq', '<', request.query.cursor);
      }
      const rows = await q.orderBy('seq', 'desc').limit(request.query.limit + 1).execute();
      const page = rows.slice(0, request.query.limit);
      reply.header('cache-control', 'private, no-cache');
      return {
        items: page.map((a) => ({
          id: a.event_id,
          fileId: a.file_id,
          type: a.type,
          actor: a.actor,
          address: a.address,
          userAgent: a.user_agent,
          at: a.at.toISOString(),
          details: a.details as Record<string, unknown>,
        })),
        nextCursor: rows.length > request.query.limit ? String(page.at(-1)!.seq) : null,
      };
    },
  );
}
