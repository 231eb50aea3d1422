import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import { AppError, httpError } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import { ownerOf } from '../caller.js';
import type { Config } from '../config.js';
import type { DeliveryRow, EndpointRow } from '../db/schema.js';
import { secretsInForce } from '../delivery/signing.js';
import { type Cidr, type Resolver, TargetRefused, checkTarget, systemResolver } from '../delivery/targets.js';
import { EndpointLimitError } from '../store.js';
import {
  CreateEndpointBody,
  DeliveriesQuery,
  DeliveryDetail,
  DeliveryList,
  DeliveryParams,
  Delivery as DeliverySchema,
  Endpoint as EndpointSchema,
  EndpointList,
  EndpointParams,
  EndpointWithSecret,
  UpdateEndpointBody,
  problems,
} from '../schemas/index.js';

const noEndpoint = () => httpError(404, 'No such webhook endpoint.');
const noDelivery = () => httpError(404, 'No such delivery.');

export function endpointOf(row: EndpointRow, now: Date): Static<typeof EndpointSchema> {
  const previous = row.secrets.find((s) => s.expiresAt !== null && Date.parse(s.expiresAt) > now.getTime());
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    enabled: row.enabled,
    secretsInForce: secretsInForce(row.secrets, now).length,
    previousSecretExpiresAt: previous?.expiresAt ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function deliveryOf(row: DeliveryRow): Static<typeof DeliverySchema> {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

export interface WebhookRouteOptions {
  config: Pick<Config, 'WEBHOOK_MAX_ENDPOINTS' | 'WEBHOOK_SECRET_OVERLAP_MS'>;
  allow: readonly Cidr[];
  resolve?: Resolver;
  onWork: () => void;
}

/**
 * An owner's endpoints (a user for their own files, a partner client for its own), their secrets
 * (shown at creation and rotation only), the delivery log and redelivery. Another owner's
 * endpoint is a 404, as one that does not exist.
 */
export async function webhookRoutes(app: FastifyInstance, opts: WebhookRouteOptions) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ['webhooks'];
  // the events are files' events: who may read the files may have them pushed
  const manage = app.requireScopes('files:read');
  const resolve = opts.resolve ?? systemResolver;

  const checked = async (url: string) => {
    try {
      return (await checkTarget(url, opts.allow, resolve)).url.href;
    } catch (error) {
      if (error instanceof TargetRefused) throw new AppError(422, 'webhook-url-refused', 'Unprocessable Content', error.message);
      throw error;
    }
  };

  r.post(
    '/api/v1/webhooks',
    {
      preHandler: manage,
      schema: {
        summary: 'Register a webhook endpoint: the answer carries its signing secret, shown this once',
        tags,
        security,
        body: CreateEndpointBody,
        response: { 201: EndpointWithSecret, ...problems(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const ownerId = ownerOf(request);
      const url = await checked(request.body.url);
      const now = app.clock.now();
      try {
        const { row, secret } = await app.webhooks.create({ ownerId, url, description: request.body.description ?? '', eventTypes: request.body.eventTypes }, now, opts.config.WEBHOOK_MAX_ENDPOINTS);
        return reply.code(201).header('cache-control', 'no-store').header('location', `/api/v1/webhooks/${row.id}`).send({ endpoint: endpointOf(row, now), secret });
      } catch (error) {
        if (error instanceof EndpointLimitError) throw httpError(409, error.message);
        throw error;
      }
    },
  );

  r.get(
    '/api/v1/webhooks',
    { preHandler: manage, schema: { summary: "The caller's webhook endpoints", tags, security, response: { 200: EndpointList, ...problems(401, 403) } } },
    async (request, reply) => {
      const now = app.clock.now();
      const rows = await app.webhooks.list(ownerOf(request));
      return reply.header('cache-control', 'private, no-store').send({ items: rows.map((row) => endpointOf(row, now)) });
    },
  );

  r.get(
    '/api/v1/webhooks/:id',
    { preHandler: manage, schema: { summary: 'One webhook endpoint', tags, security, params: EndpointParams, response: { 200: EndpointSchema, ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const row = await app.webhooks.get(ownerOf(request), request.params.id);
      if (!row) throw noEndpoint();
      return reply.header('cache-control', 'private, no-store').send(endpointOf(row, app.clock.now()));
    },
  );

  r.patch(
    '/api/v1/webhooks/:id',
    {
      preHandler: manage,
      schema: {
        summary: "Change an endpoint's URL, filter, description, or pause it (enabled: false; its deliveries wait)",
        tags,
        security,
        params: EndpointParams,
        body: UpdateEndpointBody,
        response: { 200: EndpointSchema, ...problems(400, 401, 403, 404, 413, 415, 422) },
      },
    },
    async (request) => {
      const ownerId = ownerOf(request);
      const { url, ...rest } = request.body;
      const now = app.clock.now();
      const row = await app.webhooks.update(ownerId, request.params.id, { ...rest, ...(url !== undefined ? { url: await checked(url) } : {}) }, now);
      if (!row) throw noEndpoint();
      if (request.body.enabled) opts.onWork();
      return endpointOf(row, now);
    },
  );

  r.delete(
    '/api/v1/webhooks/:id',
    { preHandler: manage, schema: { summary: 'Remove an endpoint and its delivery log', tags, security, params: EndpointParams, response: { 204: { type: 'null' }, ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      if (!(await app.webhooks.remove(ownerOf(request), request.params.id))) throw noEndpoint();
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/v1/webhooks/:id/rotate-secret',
    {
      preHandler: manage,
      schema: {
        summary: 'A new signing secret (shown this once); the previous one keeps signing through the overlap, both signatures sent',
        tags,
        security,
        params: EndpointParams,
        response: { 200: EndpointWithSecret, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const now = app.clock.now();
      const rotated = await app.webhooks.rotateSecret(ownerOf(request), request.params.id, now, opts.config.WEBHOOK_SECRET_OVERLAP_MS);
      if (!rotated) throw noEndpoint();
      return reply.header('cache-control', 'no-store').send({ endpoint: endpointOf(rotated.row, now), secret: rotated.secret });
    },
  );

  r.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      preHandler: manage,
      schema: {
        summary: "An endpoint's delivery log, newest first (?status=pending|delivered|dead)",
        tags,
        security,
        params: EndpointParams,
        querystring: DeliveriesQuery,
        response: { 200: DeliveryList, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const ownerId = ownerOf(request);
      if (!(await app.webhooks.get(ownerId, request.params.id))) throw noEndpoint();
      const limit = request.query.limit ?? 50;
      const rows = await app.webhooks.deliveries(ownerId, request.params.id, {
        limit: limit + 1,
        ...(request.query.cursor !== undefined ? { before: request.query.cursor } : {}),
        ...(request.query.status !== undefined ? { status: request.query.status } : {}),
      });
      const page = rows.slice(0, limit);
      const nextCursor = rows.length > limit ? String(page[page.length - 1]!.seq) : null;
      return reply.header('cache-control', 'private, no-store').send({ items: page.map(deliveryOf), nextCursor });
    },
  );

  r.get(
    '/api/v1/webhooks/:id/deliveries/:deliveryId',
    {
      preHandler: manage,
      schema: { summary: 'One delivery with each attempt and the body sent', tags, security, params: DeliveryParams, response: { 200: DeliveryDetail, ...problems(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const found = await app.webhooks.delivery(ownerOf(request), request.params.id, request.params.deliveryId);
      if (!found) throw noDelivery();
      return reply.header('cache-control', 'private, no-store').send({
        delivery: deliveryOf(found.row),
        attempts: found.attempts.map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), durationMs: a.duration_ms, status: a.status, error: a.error })),
        body: found.row.body,
      });
    },
  );

  r.post(
    '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      preHandler: manage,
      schema: {
        summary: 'Send a delivery again (delivered, dead or pending): it is pending from now, with a fresh retry horizon',
        tags,
        security,
        params: DeliveryParams,
        response: { 202: DeliverySchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const row = await app.webhooks.redeliver(ownerOf(request), request.params.id, request.params.deliveryId, app.clock.now());
      if (!row) throw noDelivery();
      opts.onWork();
      return reply.code(202).send(deliveryOf(row));
    },
  );
}
