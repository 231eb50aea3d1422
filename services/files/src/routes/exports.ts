import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf } from '../caller.js';
import type { Config } from '../config.js';
import type { ExportRow } from '../exports.js';
import { AccountExport, AccountExportAccepted, ExportParams, ZipResponse, problems } from '../schemas/index.js';
import { contentDisposition } from './content.js';

const view = (row: ExportRow) => {
  const done = Number(row.done_bytes);
  const total = row.total_bytes === null ? null : Number(row.total_bytes);
  return {
    id: row.id,
    status: row.status,
    progress: row.status === 'ready' ? 1 : total ? Math.min(1, done / total) : 0,
    doneBytes: done,
    totalBytes: total,
    size: row.size === null ? null : Number(row.size),
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    expiresAt: row.expires_at?.toISOString() ?? null,
    download: row.status === 'ready' ? `/api/v1/me/exports/${row.id}/content` : null,
    error: row.error,
  };
};

/** "Export everything" (issue 16): a ZIP of the drive as its folders show it and the activity as JSON, built in the background. */
export async function exportRoutes(app: FastifyInstance, opts: { config: Config }) {
  void opts;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  // an account's export is the account's: a partner's token (whatever its grants) gets none
  const owner = (request: FastifyRequest) => {
    const caller = callerOf(request);
    if (caller.kind !== 'user') throw httpError(403, 'Only the account itself can export it.');
    return caller.ownerId;
  };

  r.post(
    '/api/v1/me/exports',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: 'Export everything: a ZIP of your files in their folders and your activity as JSON, built in the background',
        description:
          'Answers 202 at once with the export to follow at GET /me/exports/{id}. One export is built at a time per account: ' +
          'while one is queued or being built, asking again answers that one. The ZIP holds `files/` (every live file, its latest version, in its folders) and `activity.json`.',
        tags: ['account'],
        security,
        response: { 202: AccountExportAccepted, ...problems(401, 403) },
      },
    },
    async (request, reply) => {
      const row = await app.exports.request(owner(request));
      app.exports.poke();
      reply.code(202).header('location', `/api/v1/me/exports/${row.id}`).header('cache-control', 'no-store');
      return { id: row.id, status: row.status === 'running' ? ('running' as const) : ('queued' as const) };
    },
  );

  r.get(
    '/api/v1/me/exports/:id',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: 'An export: its status and progress, then its download link',
        tags: ['account'],
        security,
        params: ExportParams,
        response: { 200: AccountExport, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const row = await app.exports.get(owner(request), request.params.id);
      if (!row) throw httpError(404, 'No such export.');
      reply.header('cache-control', 'no-store');
      return view(row);
    },
  );

  r.get(
    '/api/v1/me/exports/:id/content',
    {
      preHandler: app.requireScopes('files:read'),
      schema: {
        summary: 'Download a ready export (application/zip)',
        tags: ['account'],
        security,
        params: ExportParams,
        response: { 200: ZipResponse, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const row = await app.exports.get(owner(request), request.params.id);
      if (!row) throw httpError(404, 'No such export.');
      if (row.status !== 'ready' || !row.blob_name) throw httpError(409, 'This export is not ready yet.');
      const download = await app.blobs
        .getBlockBlobClient(row.blob_name)
        .download(0, undefined, { maxRetryRequests: 3 })
        .catch((error: unknown) => {
          // expired and swept between the read of its row and now
          if ((error as { statusCode?: number }).statusCode === 404) throw httpError(404, 'This export is gone; ask for a new one.');
          throw error;
        });
      return reply
        .type('application/zip')
        .header('content-length', String(download.contentLength ?? row.size))
        .header('content-disposition', contentDisposition(`strata-export-${row.created_at.toISOString().slice(0, 10)}.zip`))
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(download.readableStreamBody);
    },
  );
}
