import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<unknown>): Promise<void> {
  // an owner's endpoints: a user's id, or `client:<id>` for a partner client (as files names owners)
  await sql`
    create table webhooks.endpoints (
      id uuid primary key,
      owner_id text not null,
      url text not null,
      description text not null default '',
      event_types text[] not null,
      secrets jsonb not null,
      enabled boolean not null default true,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`create index endpoints_by_owner on webhooks.endpoints (owner_id, created_at)`.execute(db);

  // events handled once: the subscriber's dedupe, in the same transaction as the deliveries it writes
  await sql`create table webhooks.seen_events (event_id text primary key, seen_at timestamptz not null)`.execute(db);
  await sql`create index seen_events_by_time on webhooks.seen_events (seen_at)`.execute(db);

  // per stream (a file's or a folder's), the highest version up to which every event has been
  // received, and the versions received past a gap: Dapr hands a topic's messages to the
  // subscriber concurrently, so version 3 may be noted before version 2, and is held until then
  await sql`create table webhooks.streams (stream text primary key, version bigint not null)`.execute(db);
  await sql`
    create table webhooks.early_versions (
      stream text not null,
      version bigint not null,
      seen_at timestamptz not null,
      primary key (stream, version)
    )`.execute(db);

  // one row per (endpoint, event): the work queue and the delivery log
  await sql`
    create table webhooks.deliveries (
      id uuid primary key,
      seq bigint generated always as identity,
      endpoint_id uuid not null references webhooks.endpoints (id) on delete cascade,
      event_id text not null,
      event_type text not null,
      stream text not null,
      stream_version bigint not null,
      body text not null,
      status text not null check (status in ('pending', 'delivered', 'dead')),
      attempts integer not null default 0,
      started_at timestamptz not null,
      next_attempt_at timestamptz not null,
      last_attempt_at timestamptz,
      last_status integer,
      last_error text,
      delivered_at timestamptz,
      created_at timestamptz not null,
      unique (endpoint_id, event_id)
    )`.execute(db);
  await sql`create index deliveries_due on webhooks.deliveries (next_attempt_at) where status = 'pending'`.execute(db);
  await sql`create index deliveries_order on webhooks.deliveries (endpoint_id, stream, stream_version) where status = 'pending'`.execute(db);
  await sql`create index deliveries_log on webhooks.deliveries (endpoint_id, seq desc)`.execute(db);

  // each attempt, for the delivery log
  await sql`
    create table webhooks.attempts (
      delivery_id uuid not null references webhooks.deliveries (id) on delete cascade,
      attempt integer not null,
      at timestamptz not null,
      duration_ms integer not null,
      status integer,
      error text,
      primary key (delivery_id, attempt)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['attempts', 'deliveries', 'early_versions', 'streams', 'seen_events', 'endpoints']) await sql`drop table if exists ${sql.id('webhooks', table)}`.execute(db);
}
