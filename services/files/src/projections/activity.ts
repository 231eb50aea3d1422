import { FileEventTypes as T, ShareEventTypes as S, isShareEventType } from '@strata/contracts';
import type { RecordedEvent } from '@strata/event-store';
import { projection } from '@strata/event-store';
import { transportOf } from '@strata/service-kit';
import { type Kysely, type Transaction, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { FileEvent } from '../domain/file/file.js';
import type { LinkEvent } from '../domain/link/link.js';
import type { ShareEvent } from '../domain/share/share.js';
import { fileToPublished, shareToPublished } from '../published.js';
import { BadCursorError } from './queries.js';

/**
 * The owner's audit trail (`activity`): who did what to which file, when, and from where. What
 * it shows of an event is what `files.events` publishes of it; the address and user agent come
 * from the event's metadata (events stored before they moved there hold a copy in their data,
 * which is not read).
 */
export const activity = projection<FileEvent | ShareEvent | LinkEvent, Database>()({
  name: 'activity',
  // the shares' and links' events too (who was given access and lost it, each public use of a
  // link): one trail in the log's order, so a rebuild replays every kind of stream into it at once
  handles: [...Object.values(T), ...Object.values(S)],
  async evolve(trx, event) {
    if (isShareEventType(event.type)) {
      // `fileId` is the item's id, a folder's too; `details` say which kind it is
      const { ownerId, itemId, ...details } = shareToPublished(event as RecordedEvent<ShareEvent | LinkEvent>).data;
      await record(trx, event, ownerId, itemId, details);
      return;
    }
    const { fileId, ownerId, ...details } = fileToPublished(event as RecordedEvent<FileEvent>).data;
    await record(trx, event, ownerId, fileId, details);
  },
  async reset(trx) {
    await trx.deleteFrom('files.activity').execute();
  },
});

async function record(trx: Transaction<Database>, event: RecordedEvent<FileEvent | ShareEvent | LinkEvent>, ownerId: string, fileId: string, details: Record<string, unknown>) {
  const { address, userAgent } = transportOf(event.metadata);
  await trx
    .insertInto('files.activity')
    .values({
      event_id: event.id,
      owner_id: ownerId,
      file_id: fileId,
      type: event.type,
      actor: typeof event.metadata.actor === 'string' ? event.metadata.actor : 'system',
      address,
      user_agent: userAgent,
      details: JSON.stringify(details),
      at: event.occurredAt,
    })
    .onConflict((c) => c.column('event_id').doNothing())
    .execute();
}

/** One page of the owner's trail, newest first; the cursor is the last entry's sequence number. */
export async function activityOf(db: Kysely<Database>, ownerId: string, page: { limit: number; cursor?: string | undefined }) {
  let q = db.selectFrom('files.activity').selectAll().where('owner_id', '=', ownerId);
  if (page.cursor !== undefined) {
    if (!/^\d{1,18}$/.test(page.cursor)) throw new BadCursorError();
    q = q.where('seq', '<', page.cursor);
  }
  const rows = await q.orderBy('seq', 'desc').limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit);
  return {
    items: items.map((a) => ({
      id: a.event_id,
      fileId: a.file_id,
      type: a.type,
      actor: a.actor,
      address: a.address,
      userAgent: a.user_agent,
      at: a.at.toISOString(),
      details: a.details as Record<string, unknown>,
    })),
    nextCursor: rows.length > page.limit ? String(items.at(-1)!.seq) : null,
  };
}

/**
 * The owner's stored bytes at the end of each day on which they changed, within the last `days`:
 * the trail holds every size change (uploads and versions add, purges and deleted versions take
 * away; a restored version adds nothing, it shares its blob), so a running
 * sum by day is the total on that day.
 */
export async function usageHistory(db: Kysely<Database>, ownerId: string, days: number) {
  const { rows } = await sql<{ day: string; bytes: string }>`
    with daily as (
      select date_trunc('day', at at time zone 'UTC')::date as day,
             sum(case type
                   when ${T.FileUploaded} then (details->>'size')::bigint
                   when ${T.FileVersionAdded} then (details->>'size')::bigint
                   when ${T.FilePurged} then -(details->>'bytes')::bigint
                   when ${T.FileVersionDeleted} then -(details->>'bytes')::bigint
                   else 0 end) as delta
      from files.activity
      where owner_id = ${ownerId} and type = any(${[T.FileUploaded, T.FileVersionAdded, T.FilePurged, T.FileVersionDeleted]}::text[])
      group by 1
    ), running as (
      select day, sum(delta) over (order by day) as bytes from daily
    )
    select to_char(day, 'YYYY-MM-DD') as day, bytes::text as bytes from running
    where day > (now() at time zone 'UTC')::date - ${days}::int
    order by day`.execute(db);
  return rows.map((r) => ({ date: r.day, bytes: Number(r.bytes) }));
}
