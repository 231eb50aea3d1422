import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../caller.js';
import type { Config } from '../config.js';
import { sql } from 'kysely';
import { usageOf } from '../projections/queries.js';
import { reservedBytes as reservedBytesOf } from '../quota.js';
import { Activity, PageQuery, Usage, UsageHistory, UsageHistoryQuery, problems } from '../schemas/index.js';

export async function accountRoutes(app: FastifyInstance, opts: { config: Config }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const read = app.requireScopes('files:read');

  r.get(
    '/api/v1/usage',
    { preHandler: read, schema: { summary: 'Your storage: bytes, files and versions (trash included), by content type, your quota and what resumable uploads in progress hold of it', tags: ['usage'], security, response: { 200: Usage, ...problems(400, 401, 403) } } },
    async (request, reply) => {
      const { ownerId } = callerOf(request);
      const [usage, reservedBytes] = await Promise.all([usageOf(app.db, ownerId), reservedBytesOf(app.db, ownerId, app.clock.now())]);
      reply.header('cache-control', 'private, no-cache');
      return { ...usage, quotaBytes: opts.config.QUOTA_BYTES, reservedBytes };
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
      // the activity trail holds every size change (uploads and versions add, purges remove), so a
      // running sum by day is the stored total on each day
      const { rows } = await sql<{ day: string; bytes: string }>`
        with daily as (
          select date_trunc('day', at at time zone 'UTC')::date as day,
                 sum(case type
                       when 'FileUploaded' then (details->>'size')::bigint
                       when 'FileVersionAdded' then (details->>'size')::bigint
                       when 'FilePurged' then -(details->>'bytes')::bigint
                       else 0 end) as delta
          from files.activity
          where owner_id = ${ownerId} and type in ('FileUploaded', 'FileVersionAdded', 'FilePurged')
          group by 1
        ), running as (
          select day, sum(delta) over (order by day) as bytes from daily
        )
        select to_char(day, 'YYYY-MM-DD') as day, bytes::text as bytes from running
        where day > (now() at time zone 'UTC')::date - ${request.query.days}::int
        order by day`.execute(app.db);
      reply.header('cache-control', 'private, no-cache');
      return { items: rows.map((r) => ({ date: r.day, bytes: Number(r.bytes) })) };
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
