import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf, metadataOf } from '../caller.js';
import { VersionNotFoundError } from '../domain/file/decide.js';
import { toHttpError } from '../errors.js';
import { fileInfoOf, versionOf } from '../projections/queries.js';
import { deleteVersionsBy, retentionOf, setRetention } from '../retention.js';
import { FileInfo, IfMatchHeaders, LabelBody, Retention, RetentionBody, VersionInfo, VersionParams, problems } from '../schemas/index.js';
import { parseIfMatch } from './files.js';

/**
 * Version control: make an old version current again (a new version sharing its blob), name a
 * version, delete one (never the current one); and the owner's retention policy, which the jobs
 * apply. Another user's file is a 404, as everywhere.
 */
export async function versionRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const read = app.requireScopes('files:read');
  const write = app.requireScopes('files:write');
  const expected = (header: string | undefined) => {
    const ifMatch = parseIfMatch(header);
    return ifMatch !== undefined ? { expectedVersion: ifMatch } : {};
  };

  r.post(
    '/api/v1/files/:id/versions/:n/restore',
    {
      preHandler: write,
      schema: {
        summary: 'Make version n current again: a new version with its content',
        description:
          'The new version shares the old one\'s bytes (nothing is copied, and nothing is added to your usage). Send If-Match with the file\'s ETag to refuse a stale change (412).',
        tags: ['files'],
        security,
        params: VersionParams,
        headers: IfMatchHeaders,
        response: { 200: FileInfo, ...problems(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { id, n } = request.params;
      const options = expected(request.headers['if-match']);
      try {
        await app.commands.handle(id, { type: 'RestoreVersion', data: { ownerId: caller.ownerId, version: n, versionId: randomUUID(), now: app.clock.now() } }, { metadata: metadataOf(request, caller), ...options });
      } catch (error) {
        throw toHttpError(error, 'expectedVersion' in options);
      }
      const info = await fileInfoOf(app.db, id);
      reply.header('etag', `"${info.revision}"`);
      return info;
    },
  );

  r.patch(
    '/api/v1/files/:id/versions/:n',
    {
      preHandler: write,
      schema: {
        summary: 'Name a version (label), or take its name away (null); named versions outlive the retention policy',
        tags: ['files'],
        security,
        params: VersionParams,
        headers: IfMatchHeaders,
        body: LabelBody,
        response: { 200: VersionInfo, ...problems(400, 401, 403, 404, 409, 412, 415) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { id, n } = request.params;
      const options = expected(request.headers['if-match']);
      try {
        await app.commands.handle(id, { type: 'LabelVersion', data: { ownerId: caller.ownerId, version: n, label: request.body.label, now: app.clock.now() } }, { metadata: metadataOf(request, caller), ...options });
      } catch (error) {
        throw toHttpError(error, 'expectedVersion' in options);
      }
      const [version, info] = await Promise.all([versionOf(app.db, id, n), fileInfoOf(app.db, id)]);
      // deleted between the label and this read
      if (!version) throw toHttpError(new VersionNotFoundError(), false);
      reply.header('etag', `"${info.revision}"`);
      return version;
    },
  );

  r.delete(
    '/api/v1/files/:id/versions/:n',
    {
      preHandler: write,
      schema: {
        summary: 'Delete one version for good (never the current one: 409 version-current)',
        description: "Its bytes are deleted unless another version of the file holds the same content (a restored version shares them).",
        tags: ['files'],
        security,
        params: VersionParams,
        headers: IfMatchHeaders,
        response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { id, n } = request.params;
      const options = expected(request.headers['if-match']);
      try {
        await deleteVersionsBy(app, id, { type: 'DeleteVersion', data: { ownerId: caller.ownerId, version: n, now: app.clock.now() } }, metadataOf(request, caller), options);
      } catch (error) {
        throw toHttpError(error, 'expectedVersion' in options);
      }
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/v1/account/retention',
    {
      preHandler: read,
      schema: { summary: 'Your retention policy for old versions (by default none: every version is kept)', tags: ['usage'], security, response: { 200: Retention, ...problems(400, 401, 403) } },
    },
    async (request, reply) => {
      reply.header('cache-control', 'private, no-cache');
      return retentionOf(app.db, callerOf(request).ownerId);
    },
  );

  r.put(
    '/api/v1/account/retention',
    {
      preHandler: write,
      schema: {
        summary: 'Set your retention policy for old versions: keep the last N, and/or those younger than D days',
        description:
          'A version is deleted by the scheduled job when it is neither among the last keepLast versions of its file (the current one counts) nor younger than keepDays days. Named versions and current versions are always kept. {} (or both null) keeps every version.',
        tags: ['usage'],
        security,
        body: RetentionBody,
        response: { 200: Retention, ...problems(400, 401, 403, 415) },
      },
    },
    async (request) => {
      const { keepLast = null, keepDays = null } = request.body;
      return setRetention(app.db, callerOf(request).ownerId, { keepLast, keepDays }, app.clock.now());
    },
  );
}
