import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { callerOf, metadataOf } from '../caller.js';
import type { Config } from '../config.js';
import { toHttpError } from '../errors.js';
import { fileInfoOf, listTrash } from '../projections/queries.js';
import { purgeFile } from '../purge.js';
import { FileIdParams, FileInfo, PageQuery, RestoreQuery, TrashList, problems } from '../schemas/index.js';
import { folderOperationsOf } from '../folder-operations.js';
import { treeOf } from '../tree.js';

export async function trashRoutes(app: FastifyInstance, opts: { config: Config }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const write = app.requireScopes('files:write');
  const tree = treeOf(app, opts.config);
  const operations = folderOperationsOf(app, opts.config);

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
      schema: {
        summary: 'Take a file out of the trash, back into its folder',
        description:
          'Missing parents (folders in the trash) are restored too, alone. A name taken meanwhile in its folder: onClash=keep-both (default) restores it as "name (2).ext"; onClash=replace makes its content a new version of the file that holds the name (the answer is that file; the restored one is gone) or puts a folder holding the name in the trash.',
        tags: ['trash'],
        security,
        params: FileIdParams,
        querystring: RestoreQuery,
        response: { 200: FileInfo, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      let fileId: string;
      try {
        // a replace may trash a folder: never across a folder's trash or restore in batches
        await operations.settleOwner(caller.ownerId);
        fileId = await tree.restoreFile({ ownerId: caller.ownerId, metadata: metadataOf(request, caller), now: app.clock.now() }, request.params.id, request.query.onClash);
      } catch (error) {
        throw toHttpError(error);
      }
      return fileInfoOf(app.db, fileId);
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
