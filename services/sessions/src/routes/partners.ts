import { randomBytes } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { httpError } from '@strata/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ClientExistsError, ClientNotFoundError } from '../domain/client/client.js';
import { type PartnerClientRow, clientOwnedBy, clientsOwnedBy } from '../projections/partner-clients.js';
import { CreatePartnerClientBody, PartnerClient, PartnerClientList, PartnerClientParams, PartnerClientWithSecret, PartnerScopesBody, problems } from '../schemas/index.js';

/** Partner clients one user may register. */
export const MAX_CLIENTS_PER_USER = 10;

function userOf(request: FastifyRequest): string {
  const auth = request.auth;
  // a partner does not register partners: only a signed-in user
  if (!auth || auth.kind !== 'user' || !auth.sid) throw httpError(403, 'Only a signed-in user can manage partner clients.');
  return auth.sub;
}

const clientOf = (row: PartnerClientRow) => ({
  clientId: row.client_id,
  name: row.name,
  scopes: row.scopes,
  plan: row.plan,
  registeredAt: row.registered_at.toISOString(),
  secretRotatedAt: row.secret_rotated_at?.toISOString() ?? null,
});

const newSecret = () => randomBytes(32).toString('base64url');
const noClient = () => httpError(404, 'No such partner client.');

/**
 * Partner self-service: a user registers partner clients (OAuth 2.0 client credentials for their
 * own integrations), sees them, rotates a secret (shown once: only its hash is kept) and sets the
 * scopes it may ask for. Another user's client is a 404.
 */
export async function partnerRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ['partners'];
  const manage = app.requireScopes('sessions:manage');

  r.post(
    '/api/v1/partners',
    {
      preHandler: manage,
      schema: { summary: 'Register a partner client: the answer carries its secret, shown this once', tags, security, body: CreatePartnerClientBody, response: { 201: PartnerClientWithSecret, ...problems(400, 401, 403, 409, 413, 415) } },
    },
    async (request, reply) => {
      const userId = userOf(request);
      if ((await clientsOwnedBy(app.db, userId)).length >= MAX_CLIENTS_PER_USER) throw httpError(409, `A user may register ${MAX_CLIENTS_PER_USER} partner clients at most.`);
      const slug = request.body.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'client';
      const clientId = `${slug}-${randomBytes(6).toString('hex')}`;
      const secret = newSecret();
      try {
        await app.commands.clients.handle(
          clientId,
          { type: 'RegisterPartnerClient', data: { clientId, name: request.body.name, secretHash: await app.passwords.hash(secret), scopes: request.body.scopes, plan: 'partner', ownerUserId: userId, now: app.clock.now() } },
          { metadata: request.context.metadata(`user:${userId}`) },
        );
      } catch (error) {
        if (error instanceof ClientExistsError) throw httpError(409, 'Try again: that client id was taken.');
        throw error;
      }
      const row = await clientOwnedBy(app.db, userId, clientId);
      return reply.code(201).header('cache-control', 'no-store').header('location', `/api/v1/partners/${clientId}`).send({ client: clientOf(row!), clientSecret: secret });
    },
  );

  r.get(
    '/api/v1/partners',
    { preHandler: manage, schema: { summary: "The caller's partner clients", tags, security, response: { 200: PartnerClientList, ...problems(401, 403) } } },
    async (request, reply) => {
      const rows = await clientsOwnedBy(app.db, userOf(request));
      return reply.header('cache-control', 'private, no-store').send({ items: rows.map(clientOf) });
    },
  );

  r.get(
    '/api/v1/partners/:clientId',
    { preHandler: manage, schema: { summary: 'One of the caller’s partner clients', tags, security, params: PartnerClientParams, response: { 200: PartnerClient, ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const row = await clientOwnedBy(app.db, userOf(request), request.params.clientId);
      if (!row) throw noClient();
      return reply.header('cache-control', 'private, no-store').send(clientOf(row));
    },
  );

  r.post(
    '/api/v1/partners/:clientId/rotate-secret',
    {
      preHandler: manage,
      schema: { summary: 'A new client secret, shown this once; the previous one stops working at once', tags, security, params: PartnerClientParams, response: { 200: PartnerClientWithSecret, ...problems(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const userId = userOf(request);
      const { clientId } = request.params;
      const secret = newSecret();
      try {
        await app.commands.clients.handle(clientId, { type: 'RotatePartnerClientSecret', data: { secretHash: await app.passwords.hash(secret), byUserId: userId, now: app.clock.now() } }, { metadata: request.context.metadata(`user:${userId}`) });
      } catch (error) {
        if (error instanceof ClientNotFoundError) throw noClient();
        throw error;
      }
      const row = await clientOwnedBy(app.db, userId, clientId);
      return reply.header('cache-control', 'no-store').send({ client: clientOf(row!), clientSecret: secret });
    },
  );

  r.put(
    '/api/v1/partners/:clientId/scopes',
    {
      preHandler: manage,
      schema: { summary: 'Set the scopes a partner client may ask for (tokens issued before keep theirs until they expire)', tags, security, params: PartnerClientParams, body: PartnerScopesBody, response: { 200: PartnerClient, ...problems(400, 401, 403, 404, 413, 415) } },
    },
    async (request) => {
      const userId = userOf(request);
      const { clientId } = request.params;
      try {
        await app.commands.clients.handle(clientId, { type: 'ChangePartnerClientScopes', data: { scopes: request.body.scopes, byUserId: userId, now: app.clock.now() } }, { metadata: request.context.metadata(`user:${userId}`) });
      } catch (error) {
        if (error instanceof ClientNotFoundError) throw noClient();
        throw error;
      }
      return clientOf((await clientOwnedBy(app.db, userId, clientId))!);
    },
  );
}
