import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../caller.js';
import { notFound } from '../errors.js';
import { grantsByOwner, grantsOf } from '../projections/grants.js';
import { ownerOfActive } from '../projections/queries.js';
import { FileIdParams, GrantBody, GrantList, GrantParams, OwnerGrantList, problems } from '../schemas/index.js';
import { runOrMap } from './files.js';

/** A user lets a partner client read one of their files (FileShared), or stops (FileUnshared). */
export async function grantRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const userOnly = async (request: Parameters<typeof app.authenticate>[0], reply: Parameters<typeof app.authenticate>[1]) => {
    await app.requireScopes('files:write')(request, reply);
    if (request.auth?.kind !== 'user') throw httpError(403, 'Only the owner of a file can share it.');
  };

  r.get(
    '/api/v1/grants',
    {
      preHandler: userOnly,
      schema: {
        summary: 'Every grant you gave partner clients: which file, to which client, since when (revoke with DELETE /files/{id}/grants/{clientId})',
        tags: ['sharing'],
        security,
        response: { 200: OwnerGrantList, ...problems(401, 403) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'private, no-cache');
      return { items: await grantsByOwner(app.db, callerOf(request).ownerId) };
    },
  );

  r.get(
    '/api/v1/files/:id/grants',
    { preHandler: userOnly, schema: { summary: 'Partner clients that may read this file', tags: ['sharing'], security, params: FileIdParams, response: { 200: GrantList, ...problems(400, 401, 403, 404) } } },
    async (request) => {
      const caller = callerOf(request);
      if ((await ownerOfActive(app.db, request.params.id)) !== caller.ownerId) throw notFound();
      return { items: await grantsOf(app.db, request.params.id) };
    },
  );

  r.post(
    '/api/v1/files/:id/grants',
    {
      preHandler: userOnly,
      schema: { summary: 'Let a partner client list and download this file (files:read)', tags: ['sharing'], security, params: FileIdParams, body: GrantBody, response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409, 413, 415) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      await runOrMap(app, request.params.id, { type: 'ShareFile', data: { ownerId: caller.ownerId, clientId: request.body.clientId, now: app.clock.now() } }, request, caller);
      return reply.code(204).send();
    },
  );

  r.delete(
    '/api/v1/files/:id/grants/:clientId',
    {
      preHandler: userOnly,
      schema: { summary: 'Stop sharing this file with a partner client', tags: ['sharing'], security, params: GrantParams, response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      await runOrMap(app, request.params.id, { type: 'UnshareFile', data: { ownerId: caller.ownerId, clientId: request.params.clientId, now: app.clock.now() } }, request, caller);
      return reply.code(204).send();
    },
  );
}
