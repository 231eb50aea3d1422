import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { RestError } from '@azure/storage-blob';
import { AppIds, FILES_AUDIENCE_PATH } from '@strata/contracts';
import { AppError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { audienceOf } from '../access.js';
import { notFound } from '../errors.js';

const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const AudienceQuery = Type.Union([Type.Object({ fileId: Uuid }, { additionalProperties: false }), Type.Object({ folderId: Uuid }, { additionalProperties: false })]);
const Params = Type.Object({ id: Type.String({ format: 'uuid' }), version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, { additionalProperties: false });

/**
 * Routes other apps of Strata call through Dapr, never the public: no PublicRoutes row leads
 * here, and each refuses every caller but the one app it is for (`dapr-caller-app-id`, which only
 * the sidecar sets; deploy/'s accessControl allows only that app too). Untagged, so the public
 * OpenAPI document leaves them out.
 */
export async function internalRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // a caller that is not insights learns nothing, not even that the route exists
  const insightsOnly = async (request: FastifyRequest) => {
    if (request.context.callerAppId !== AppIds.insights) throw notFound();
  };

  // who besides the owner may hear of an item's events now (its shares, and its folders' above it):
  // the gateway's live stream asks once per event, so that a revoked share carries nothing more
  const gatewayOnly = async (request: FastifyRequest) => {
    if (request.context.callerAppId !== AppIds.gateway) throw notFound();
  };
  r.get(FILES_AUDIENCE_PATH, { preHandler: gatewayOnly, schema: { querystring: AudienceQuery } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return { userIds: await audienceOf(app.db, request.query) };
  });

  // the bytes of one version of any file that is not purged (trashed ones too: insights keeps
  // their index, hidden, so that a restore finds them searchable at once)
  r.get('/internal/v1/files/:id/versions/:version/content', { preHandler: insightsOnly, schema: { params: Params } }, async (request, reply) => {
    const version = await app.db
      .selectFrom('files.versions')
      .innerJoin('files.files', 'files.files.file_id', 'files.versions.file_id')
      .select(['files.versions.blob_name', 'files.versions.size', 'files.versions.content_type', 'files.versions.sha256', 'files.versions.tier'])
      .where('files.versions.file_id', '=', request.params.id)
      .where('files.versions.version', '=', request.params.version)
      .executeTakeFirst();
    if (!version) throw notFound();
    if (version.tier === 'Archive') throw new AppError(409, 'file-archived', 'File archived', 'The content is in the archive tier; it is read again once rehydrated.');
    reply.type(version.content_type).header('content-length', version.size).header('x-content-sha256', version.sha256);
    if (Number(version.size) === 0) return reply.send('');
    try {
      const download = await app.blobs.getBlockBlobClient(version.blob_name).download(0, Number(version.size), { maxRetryRequests: 3 });
      return reply.send(download.readableStreamBody);
    } catch (error) {
      if (error instanceof RestError && error.code === 'BlobArchived') throw new AppError(409, 'file-archived', 'File archived', 'The content is in the archive tier.');
      // purged while the index asked for it
      if (error instanceof RestError && error.code === 'BlobNotFound') throw notFound();
      throw error;
    }
  });
}
