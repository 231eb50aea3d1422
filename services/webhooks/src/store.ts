import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { AttemptRow, Database, DeliveryRow, DeliveryStatus, EndpointRow } from './db/schema.js';
import { type StoredSecret, newSecret, rotate } from './delivery/signing.js';

/** Every event type: an endpoint's filter names some of these, or `*`. */
export const ALL_EVENTS = '*';

export interface NewEndpoint {
  ownerId: string;
  url: string;
  description: string;
  eventTypes: string[];
}

export class EndpointLimitError extends Error {}

/**
 * Notes that `version` of `stream` was received: the stream's watermark (every version up to it
 * received) moves on over it and over versions received early; a version past a gap waits in
 * early_versions. A stream first seen at version 1 starts there; first seen later, its earlier
 * versions are waited for as any gap (they may be in flight, or history from before this
 * service). A gap older than `gapMs` is taken as lost: the watermark jumps over it.
 */
async function noteVersion(tx: Kysely<Database>, stream: string, version: number, now: Date, gapMs: number): Promise<void> {
  let row = await tx.selectFrom('webhooks.streams').select('version').where('stream', '=', stream).forUpdate().executeTakeFirst();
  if (!row) {
    // two first events of a stream at once: the one that loses the race reads the winner's row
    await tx.insertInto('webhooks.streams').values({ stream, version: 0 }).onConflict((oc) => oc.column('stream').doNothing()).execute();
    row = await tx.selectFrom('webhooks.streams').select('version').where('stream', '=', stream).forUpdate().executeTakeFirstOrThrow();
  }
  let mark = Number(row.version);
  if (version <= mark) return;
  if (version > mark + 1) await tx.insertInto('webhooks.early_versions').values({ stream, version, seen_at: now }).onConflict((oc) => oc.columns(['stream', 'version']).doNothing()).execute();
  else mark = version;
  const early = await tx.selectFrom('webhooks.early_versions').select(['version', 'seen_at']).where('stream', '=', stream).orderBy('version').execute();
  for (const e of early) {
    const v = Number(e.version);
    if (v === mark + 1 || (v > mark + 1 && e.seen_at.getTime() <= now.getTime() - gapMs)) mark = v;
    else if (v > mark) break;
  }
  if (mark === Number(row.version)) return;
  await tx.deleteFrom('webhooks.early_versions').where('stream', '=', stream).where(sql<boolean>`version <= ${mark}`).execute();
  await tx.updateTable('webhooks.streams').set({ version: mark }).where('stream', '=', stream).execute();
}

/** An owner's endpoints and their deliveries; every read and write is scoped to the owner. */
export class WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(endpoint: NewEndpoint, now: Date, maxPerOwner: number): Promise<{ row: EndpointRow; secret: string }> {
    const secret = newSecret();
    const secrets: StoredSecret[] = [{ secret, createdAt: now.toISOString(), expiresAt: null }];
    const row = await this.db.transaction().execute(async (tx) => {
      // one owner's creations one after another, so the count below cannot be raced past
      await sql`select pg_advisory_xact_lock(hashtextextended(${`webhooks:${endpoint.ownerId}`}, 0))`.execute(tx);
      const { count } = await tx.selectFrom('webhooks.endpoints').select((eb) => eb.fn.countAll<string>().as('count')).where('owner_id', '=', endpoint.ownerId).executeTakeFirstOrThrow();
      if (Number(count) >= maxPerOwner) throw new EndpointLimitError(`An owner may register ${maxPerOwner} endpoints at most.`);
      return tx
        .insertInto('webhooks.endpoints')
        .values({
          id: randomUUID(),
          owner_id: endpoint.ownerId,
          url: endpoint.url,
          description: endpoint.description,
          event_types: endpoint.eventTypes,
          secrets: JSON.stringify(secrets),
          enabled: true,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    return { row, secret };
  }

  list(ownerId: string): Promise<EndpointRow[]> {
    return this.db.selectFrom('webhooks.endpoints').selectAll().where('owner_id', '=', ownerId).orderBy('created_at').orderBy('id').execute();
  }

  get(ownerId: string, id: string): Promise<EndpointRow | undefined> {
    return this.db.selectFrom('webhooks.endpoints').selectAll().where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
  }

  async update(ownerId: string, id: string, change: { url?: string; description?: string; eventTypes?: string[]; enabled?: boolean }, now: Date): Promise<EndpointRow | undefined> {
    return this.db
      .updateTable('webhooks.endpoints')
      .set({
        ...(change.url !== undefined ? { url: change.url } : {}),
        ...(change.description !== undefined ? { description: change.description } : {}),
        ...(change.eventTypes !== undefined ? { event_types: change.eventTypes } : {}),
        ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
        updated_at: now,
      })
      .where('owner_id', '=', ownerId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async remove(ownerId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webhooks.endpoints').where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** A new current secret; the previous one keeps signing for `overlapMs`. Returns the new secret (shown once). */
  async rotateSecret(ownerId: string, id: string, now: Date, overlapMs: number): Promise<{ row: EndpointRow; secret: string } | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const current = await tx.selectFrom('webhooks.endpoints').selectAll().where('owner_id', '=', ownerId).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!current) return undefined;
      const secret = newSecret();
      const secrets = rotate(current.secrets, now, overlapMs, secret);
      const row = await tx.updateTable('webhooks.endpoints').set({ secrets: JSON.stringify(secrets), updated_at: now }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      return { row, secret };
    });
  }

  /**
   * One published event, once: noted as seen and a delivery written for each of its owner's
   * endpoints whose filter takes it, in one transaction. False when it was seen before.
   */
  async enqueue(event: { id: string; type: string; ownerId: string; stream: string; streamVersion: number; body: string }, now: Date, gapMs: number): Promise<{ fresh: boolean; deliveries: number }> {
    return this.db.transaction().execute(async (tx) => {
      const seen = await tx.insertInto('webhooks.seen_events').values({ event_id: event.id, seen_at: now }).onConflict((oc) => oc.column('event_id').doNothing()).returning('event_id').executeTakeFirst();
      if (!seen) return { fresh: false, deliveries: 0 };
      if (event.streamVersion > 0) await noteVersion(tx, event.stream, event.streamVersion, now, gapMs);
      const endpoints = await tx
        .selectFrom('webhooks.endpoints')
        .select('id')
        .where('owner_id', '=', event.ownerId)
        .where((eb) => eb.or([sql<boolean>`${event.type} = any(event_types)`, sql<boolean>`${ALL_EVENTS} = any(event_types)`]))
        .execute();
      if (endpoints.length === 0) return { fresh: true, deliveries: 0 };
      await tx
        .insertInto('webhooks.deliveries')
        .values(
          endpoints.map((e) => ({
            id: randomUUID(),
            endpoint_id: e.id,
            event_id: event.id,
            event_type: event.type,
            stream: event.stream,
            stream_version: event.streamVersion,
            body: event.body,
            status: 'pending' as const,
            started_at: now,
            next_attempt_at: now,
            created_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
        .execute();
      return { fresh: true, deliveries: endpoints.length };
    });
  }

  /**
   * Deliveries due now, claimed for `leaseMs` (their next attempt moved past the lease, so a
   * replica that dies mid-send leaves them due again, never lost). Per endpoint and stream only
   * the earliest pending one is taken: a file's later event waits until the earlier one is
   * delivered or dead. Disabled endpoints' deliveries wait.
   */
  async claim(now: Date, leaseMs: number, limit: number, gapTimeoutMs: number): Promise<(DeliveryRow & { url: string; secrets: StoredSecret[] })[]> {
    const until = new Date(now.getTime() + leaseMs);
    const { rows } = await sql<DeliveryRow & { url: string; secrets: StoredSecret[] }>`
      with due as (
        select d.id from webhooks.deliveries d
        join webhooks.endpoints e on e.id = d.endpoint_id and e.enabled
        left join webhooks.streams s on s.stream = d.stream
        where d.status = 'pending' and d.next_attempt_at <= ${now}
          -- every earlier event of its stream received, or the gap older than the timeout (lost: go on)
          and (d.stream_version = 0 or d.stream_version <= s.version or d.created_at <= ${new Date(now.getTime() - gapTimeoutMs)})
          and not exists (
            select 1 from webhooks.deliveries p
            where p.endpoint_id = d.endpoint_id and p.stream = d.stream and p.status = 'pending'
              and (p.stream_version, p.seq) < (d.stream_version, d.seq)
          )
        order by d.next_attempt_at, d.seq
        limit ${limit}
        for update of d skip locked
      )
      update webhooks.deliveries d set next_attempt_at = ${until}
      from due, webhooks.endpoints e
      where d.id = due.id and e.id = d.endpoint_id
      returning d.*, e.url, e.secrets`.execute(this.db);
    return rows;
  }

  /** An attempt's outcome: delivered, pending again at `next`, or dead (`next` null after a failure). */
  async record(id: string, attempt: { at: Date; ok: boolean; status: number | null; error: string | null; durationMs: number }, next: Date | null): Promise<DeliveryStatus | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('webhooks.deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_attempt_at: attempt.at,
          last_status: attempt.status,
          last_error: attempt.error,
          ...(attempt.ok ? { status: 'delivered' as const, delivered_at: attempt.at } : next ? { next_attempt_at: next } : { status: 'dead' as const }),
        }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returning(['status', 'attempts'])
        .executeTakeFirst();
      if (!row) return undefined;
      await tx
        .insertInto('webhooks.attempts')
        .values({ delivery_id: id, attempt: row.attempts, at: attempt.at, duration_ms: attempt.durationMs, status: attempt.status, error: attempt.error })
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
        .execute();
      return row.status;
    });
  }

  /** An endpoint's deliveries, newest first, `limit` a page after the cursor (a seq). */
  async deliveries(ownerId: string, endpointId: string, page: { limit: number; before?: string; status?: DeliveryStatus }): Promise<DeliveryRow[]> {
    let query = this.db
      .selectFrom('webhooks.deliveries as d')
      .innerJoin('webhooks.endpoints as e', 'e.id', 'd.endpoint_id')
      .selectAll('d')
      .where('e.owner_id', '=', ownerId)
      .where('d.endpoint_id', '=', endpointId);
    if (page.before !== undefined) query = query.where(sql<boolean>`d.seq < ${page.before}::bigint`);
    if (page.status !== undefined) query = query.where('d.status', '=', page.status);
    return query.orderBy('d.seq', 'desc').limit(page.limit).execute();
  }

  async delivery(ownerId: string, endpointId: string, id: string): Promise<{ row: DeliveryRow; attempts: AttemptRow[] } | undefined> {
    const row = await this.db
      .selectFrom('webhooks.deliveries as d')
      .innerJoin('webhooks.endpoints as e', 'e.id', 'd.endpoint_id')
      .selectAll('d')
      .where('e.owner_id', '=', ownerId)
      .where('d.endpoint_id', '=', endpointId)
      .where('d.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const attempts = await this.db.selectFrom('webhooks.attempts').selectAll().where('delivery_id', '=', id).orderBy('attempt').execute();
    return { row, attempts };
  }

  /** A delivery sent again on demand: pending from now, with a fresh retry horizon (whatever its state). */
  async redeliver(ownerId: string, endpointId: string, id: string, now: Date): Promise<DeliveryRow | undefined> {
    return this.db
      .updateTable('webhooks.deliveries as d')
      .from('webhooks.endpoints as e')
      .set({ status: 'pending', started_at: now, next_attempt_at: now, delivered_at: null })
      .whereRef('e.id', '=', 'd.endpoint_id')
      .where('e.owner_id', '=', ownerId)
      .where('d.endpoint_id', '=', endpointId)
      .where('d.id', '=', id)
      .returningAll('d')
      .executeTakeFirst();
  }

  /** Dedupe marks older than `before` (Dapr redelivers within minutes, not days). */
  async forgetSeen(before: Date): Promise<void> {
    await this.db.deleteFrom('webhooks.seen_events').where('seen_at', '<', before).execute();
  }
}
