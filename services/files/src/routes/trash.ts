import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { callerOf, metadataOf } from '../caller.js';
import type { Config } from '../config.js';
import { toHttpError } from '../errors.js';
import { toFileInfo } from '../projections/queries.js';
import { purgeFile } from '../purge.js';
import { FileIdParams, FileInfo, PageQuery, TrashList, problems } from '../schemas/index.js';
import { runOrMap } from './files.js';

const DAY_MS = 86_400_000;

export async function trashRoutes(app: FastifyInstance, opts: { config: Config }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const write = app.requireScopes('files:write');

  r.get(
    '/api/v1/trash',
    {
      preHandler: app.requireScopes('files:read'),
      schema: { summary: 'Your trash, most recently deleted first', tags: ['trash'], security, querystring: PageQuery, response: { 200: TrashList, ...problems(400, 401, 403) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      let q = app.db.selectFrom('files.files').selectAll().where('owner_id', '=', caller.ownerId).where('status', '=', 'trashed');
      if (request.query.cursor) {
        const [at, id] = Buffer.from(request.query.cursor, 'base64url').toString('utf8').split('|');
        if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) throw httpError(400, 'The cursor is not one this API gave out.');
        q = q.where(sql<boolean>`(trashed_at, file_id) < (${at}::timestamptz, ${id}::uuid)`);
      }
      const rows = await q.orderBy('trashed_at', 'desc').orderBy('file_id', 'desc').limit(request.query.limit + 1).execute();
      const page = rows.slice(0, request.query.limit);
      const last = page.at(-1);
      reply.header('cache-control', 'private, no-cache');
      return {
        items: page.map((row) => ({
          ...toFileInfo(row),
          trashedAt: row.trashed_at!.toISOString(),
          purgeAt: new Date(row.trashed_at!.getTime() + opts.config.TRASH_RETENTION_DAYS * DAY_MS).toISOString(),
        })),
        nextCursor: rows.length > request.query.limit && last ? Buffer.from(`${last.trashed_at!.toISOString()}|${last.file_id}`).toString('base64url') : null,
      };
    },
  );

  r.post(
    '/api/v1/files/:id/restore',
    {
      preHandler: write,
      schema: { summary: 'Take a file out of the trash', tags: ['trash'], security, params: FileIdParams, response: { 200: FileInfo, ...problems(401, 403, 404, 409) } },
    },
    async (request) => {
      const caller = callerOf(request);
      await runOrMap(app, request.params.id, { type: 'RestoreFile', data: { ownerId: caller.ownerId, now: app.clock.now(), address: caller.address } }, request, caller);
      const row = await app.db.selectFrom('files.files').selectAll().where('file_id', '=', request.params.id).executeTakeFirstOrThrow();
      return toFileInfo(row);
    },
  );

  r.delete(
    '/api/v1/trash/:id',
    {
      preHandler: write,
      schema: { summary: 'Purge a file from the trash now: every version is deleted for good', tags: ['trash'], security, params: FileIdParams, response: { 204: { type: 'null' }, ...problems(401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      try {
        await purgeFile(app, request.params.id, caller.ownerId, 'user', metadataOf(request, caller), caller.address);
      } catch (error) {
        const mapped = toHttpError(error);
        // only a file in the trash can be purged from it: anything else is not in this collection
        if (mapped instanceof Error && 'status' in mapped && mapped.status === 409) throw httpError(404, 'No such file in the trash.');
        throw mapped;
      }
      return reply.code(204).send();
    },
  );
}
