import type { ColumnType, Generated, Selectable } from 'kysely';
import type { StoredSecret } from '../delivery/signing.js';

/** bigint columns come back from pg as strings; we write numbers. */
type BigInt = ColumnType<string, number | string, number | string>;
type Json<T> = ColumnType<T, string, string>;

export interface EndpointsTable {
  id: string;
  owner_id: string;
  url: string;
  description: string;
  event_types: string[];
  secrets: Json<StoredSecret[]>;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface SeenEventsTable {
  event_id: string;
  seen_at: Date;
}

export interface StreamsTable {
  stream: string;
  version: BigInt;
}

export interface EarlyVersionsTable {
  stream: string;
  version: BigInt;
  seen_at: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface DeliveriesTable {
  id: string;
  seq: Generated<BigInt>;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  stream: string;
  stream_version: BigInt;
  body: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  started_at: Date;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

export interface AttemptsTable {
  delivery_id: string;
  attempt: number;
  at: Date;
  duration_ms: number;
  status: number | null;
  error: string | null;
}

export interface Database {
  'webhooks.endpoints': EndpointsTable;
  'webhooks.seen_events': SeenEventsTable;
  'webhooks.streams': StreamsTable;
  'webhooks.early_versions': EarlyVersionsTable;
  'webhooks.deliveries': DeliveriesTable;
  'webhooks.attempts': AttemptsTable;
}

export type EndpointRow = Selectable<EndpointsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type AttemptRow = Selectable<AttemptsTable>;
