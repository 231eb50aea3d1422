import { Type } from '@sinclair/typebox';
import { FileEventTypes, FolderEventTypes } from '@strata/contracts';
import { MAX_URL_LENGTH } from '../delivery/targets.js';

export { problems } from '@strata/service-kit';

const Id = Type.String({ format: 'uuid', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Timestamp = Type.String({ format: 'date-time' });
/** Text Postgres can hold and a person types: no NUL or other controls, no lone surrogate halves (a 400 before any query). */
const PLAIN = '^[^\\u0000-\\u001f\\u007f\\ud800-\\udfff]*$';
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** The events an endpoint may ask for: files.events' types, or `*` for all of them. */
export const WEBHOOK_EVENT_TYPES = ['*', ...Object.values(FileEventTypes), ...Object.values(FolderEventTypes)] as const;
export const MAX_FILTER_TYPES = WEBHOOK_EVENT_TYPES.length;

const EventType = Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)));
const EventTypes = Type.Array(EventType, { minItems: 1, maxItems: MAX_FILTER_TYPES, uniqueItems: true, description: 'The events sent to this endpoint: files.events type names, or "*" for all.' });
const Url = Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH, pattern: PLAIN, description: 'An https URL on a public host (no private, loopback or link-local address, no credentials, no fragment).' });
const Description = Type.String({ maxLength: 256, pattern: PLAIN });

export const EndpointParams = Type.Object({ id: Id });
export const DeliveryParams = Type.Object({ id: Id, deliveryId: Id });

export const CreateEndpointBody = Type.Object({ url: Url, eventTypes: EventTypes, description: Type.Optional(Description) }, { additionalProperties: false });
export const UpdateEndpointBody = Type.Object(
  { url: Type.Optional(Url), eventTypes: Type.Optional(EventTypes), description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);

export const Endpoint = Type.Object(
  {
    id: Id,
    url: Type.String(),
    description: Type.String(),
    eventTypes: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    /** Secrets that sign now: 1, or 2 during a rotation's overlap (their values are never shown again). */
    secretsInForce: Type.Integer({ minimum: 1 }),
    /** When the previous secret stops signing, during a rotation's overlap. */
    previousSecretExpiresAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'WebhookEndpoint' },
);
export const EndpointList = Type.Object({ items: Type.Array(Endpoint) }, { $id: 'WebhookEndpointList' });
/** An endpoint as created or rotated: with its signing secret, shown this once. */
export const EndpointWithSecret = Type.Object(
  { endpoint: Endpoint, secret: Type.String({ description: 'The signing secret (whsec_...), shown only in this answer.' }) },
  { $id: 'WebhookEndpointWithSecret' },
);

export const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]);
export const Delivery = Type.Object(
  {
    id: Id,
    /** The event's id, sent as webhook-id. */
    eventId: Type.String(),
    eventType: Type.String(),
    status: DeliveryStatus,
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: Nullable(Timestamp),
    lastAttemptAt: Nullable(Timestamp),
    lastStatus: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    deliveredAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { $id: 'WebhookDelivery' },
);
export const Attempt = Type.Object({ attempt: Type.Integer({ minimum: 1 }), at: Timestamp, durationMs: Type.Integer({ minimum: 0 }), status: Nullable(Type.Integer()), error: Nullable(Type.String()) });
export const DeliveryDetail = Type.Object({ delivery: Delivery, attempts: Type.Array(Attempt), body: Type.String({ description: 'The body as sent (JSON text).' }) }, { $id: 'WebhookDeliveryDetail' });
export const DeliveryList = Type.Object({ items: Type.Array(Delivery), nextCursor: Nullable(Type.String()) }, { $id: 'WebhookDeliveryList' });
export const DeliveriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    // a delivery's seq: within bigint (18 digits), so the query never fails on a cast
    cursor: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,17}$' })),
    status: Type.Optional(DeliveryStatus),
  },
  { additionalProperties: false },
);
