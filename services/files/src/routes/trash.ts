import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { callerOf, metadataOf } from '../caller.js';
import type { Config } from '../config.js';
import { toHttpError } from '../errors.js';
import { fileInfoOf, listTrash } from '../projections/queries.js';
import { purgeFile } from '../purge.js';
import { FileIdParams, FileInfo, PageQuery, TrashList, problems } from '../schemas/index.js';
import { runOrMap } from './files.js';

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
      reply.header('cache-control', 'private, no-cache');
      try {
        return await listTrash(app.db, caller.ownerId, request.query, opts.config.TRASH_RETENTION_DAYS);
      } catch (error) {
        throw toHttpError(error);
      }
    },
  );

  r.post(
    '/api/v1/files/:id/restore',
    {
      preHandler: write,
      schema: { summary: 'Take a file out of the trash', tags: ['trash'], security, params: FileIdParams, response: { 200: FileInfo, ...problems(400, 401, 403, 404, 409) } },
    },
    async (request) => {
      const caller = callerOf(request);
      await runOrMap(app, request.params.id, { type: 'RestoreFile', data: { ownerId: caller.ownerId, now: app.clock.now() } }, request, caller);
      return fileInfoOf(app.db, request.params.id);
    },
  );

  r.delete(
    '/api/v1/trash/:id',
    {
      preHandler: write,
      schema: { summary: 'Purge a file from the trash now: every version is deleted for good', tags: ['trash'], security, params: FileIdParams, response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      try {
        await purgeFile(app, request.params.id, caller.ownerId, 'user', metadataOf(request, caller));
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
