import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../caller.js';
import type { Config } from '../config.js';
import { toHttpError } from '../errors.js';
import { activityOf, usageHistory } from '../projections/activity.js';
import { oldVersionsOf, usageOf } from '../projections/queries.js';
import { reservedBytes as reservedBytesOf } from '../quota.js';
import { Activity, PageQuery, Usage, UsageHistory, UsageHistoryQuery, problems } from '../schemas/index.js';

export async function accountRoutes(app: FastifyInstance, opts: { config: Config }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const read = app.requireScopes('files:read');

  r.get(
    '/api/v1/usage',
    { preHandler: read, schema: { summary: 'Your storage: bytes, files and versions (trash included; every version counts, content shared by a restored version once), by content type, what old versions take, your quota and what resumable uploads in progress hold of it', tags: ['usage'], security, response: { 200: Usage, ...problems(400, 401, 403) } } },
    async (request, reply) => {
      const { ownerId } = callerOf(request);
      const [usage, reservedBytes, old] = await Promise.all([usageOf(app.db, ownerId), reservedBytesOf(app.db, ownerId, app.clock.now()), oldVersionsOf(app.db, ownerId)]);
      reply.header('cache-control', 'private, no-cache');
      return { ...usage, quotaBytes: opts.config.QUOTA_BYTES, reservedBytes, ...old };
    },
  );

  r.get(
    '/api/v1/usage/history',
    {
      preHandler: read,
      schema: {
        summary: 'Your stored bytes over time: one point per day on which they changed, within the last `days`',
        tags: ['usage'],
        security,
        querystring: UsageHistoryQuery,
        response: { 200: UsageHistory, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { ownerId } = callerOf(request);
      reply.header('cache-control', 'private, no-cache');
      return { items: await usageHistory(app.db, ownerId, request.query.days) };
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
      reply.header('cache-control', 'private, no-cache');
      try {
        return await activityOf(app.db, ownerId, request.query);
      } catch (error) {
        throw toHttpError(error);
      }
    },
  );
}
