import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { ownerOf } from '../caller.js';
import { AlreadyQueuedError, DocumentNotFoundError, type DocumentCommand } from '../domain/document/decide.js';
import { insightsOf, previewOf } from '../projections/queries.js';
import { BinaryResponse, FileIdParams, Insights, InsightsQuery, RetryAccepted, RetryBody, TagDecision, TagParams, problems } from '../schemas/index.js';

const noFile = () => httpError(404, 'No such file.');

/** What insights read in a file: its status, summary, entities and tags, a preview; a retry; tag decisions. */
export async function insightsRoutes(app: FastifyInstance, opts: { onWork: () => void }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const read = app.requireScopes('files:read');
  const write = app.requireScopes('files:write');

  const run = async (fileId: string, command: DocumentCommand, actor: string, request: Parameters<typeof read>[0]) => {
    try {
      return await app.commands.handle(fileId, command, { retries: 3, metadata: request.context.metadata(actor) });
    } catch (error) {
      if (error instanceof DocumentNotFoundError) throw httpError(404, error.message === 'no such file' ? 'No such file.' : `${error.message[0]!.toUpperCase()}${error.message.slice(1)}.`);
      if (error instanceof AlreadyQueuedError) throw httpError(409, 'This version is waiting to be read already.');
      throw error;
    }
  };

  r.get(
    '/api/v1/files/:id/insights',
    {
      preHandler: read,
      schema: {
        summary: "What Strata read in a file: indexing status, language, summary, keywords, entities and suggested tags (the current version unless ?version)",
        tags: ['insights'],
        security,
        params: FileIdParams,
        querystring: InsightsQuery,
        response: { 200: Insights, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { ownerId } = ownerOf(request);
      const insights = await insightsOf(app.db, ownerId, request.params.id, request.query.version);
      if (!insights) throw noFile();
      return reply.header('cache-control', 'private, no-store').send(insights);
    },
  );

  r.post(
    '/api/v1/files/:id/insights/retry',
    {
      preHandler: write,
      schema: {
        summary: 'Read a version again (after a failure, or with a newer extractor): it goes back to pending',
        tags: ['insights'],
        security,
        params: FileIdParams,
        body: RetryBody,
        response: { 202: RetryAccepted, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { ownerId, actor } = ownerOf(request);
      const result = await run(request.params.id, { type: 'RequestRetry', data: { ownerId, ...(request.body?.version ? { version: request.body.version } : {}), now: app.clock.now() } }, actor, request);
      opts.onWork();
      const event = result.events[0]!;
      return reply.code(202).send({ fileId: request.params.id, version: (event.data as { version: number }).version, status: 'pending' as const });
    },
  );

  r.put(
    '/api/v1/files/:id/insights/tags/:name',
    {
      preHandler: write,
      schema: {
        summary: 'Accept or reject a suggested tag',
        tags: ['insights'],
        security,
        params: TagParams,
        body: TagDecision,
        response: { 200: Insights, ...problems(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const { ownerId, actor } = ownerOf(request);
      await run(request.params.id, { type: 'DecideTag', data: { ownerId, name: request.params.name, accepted: request.body.accepted, now: app.clock.now() } }, actor, request);
      const insights = await insightsOf(app.db, ownerId, request.params.id);
      if (!insights) throw noFile();
      return insights;
    },
  );

  r.get(
    '/api/v1/files/:id/preview',
    {
      preHandler: read,
      schema: {
        summary: 'A preview image of the current version (first page or a thumbnail), when one could be made',
        tags: ['insights'],
        security,
        params: FileIdParams,
        querystring: InsightsQuery,
        response: { 200: BinaryResponse, 304: { type: 'null' }, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { ownerId } = ownerOf(request);
      const preview = await previewOf(app.db, ownerId, request.params.id, request.query.version);
      if (!preview) throw httpError(404, 'No preview of this file.');
      const etag = `"${request.params.id}.${preview.version}.${preview.extractor_version}"`;
      reply.header('etag', etag).header('cache-control', 'private, max-age=300').header('x-content-type-options', 'nosniff').header('content-security-policy', "default-src 'none'");
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(preview.content_type).send(preview.bytes);
    },
  );
}
