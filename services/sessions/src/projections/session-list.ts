import { SessionEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import { transportOf } from '@strata/service-kit';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { SessionEvent } from '../domain/session/session.js';
import { describeDevice } from '../tokens.js';

/** What a session event's data held when older releases stored the device and address in it. */
function legacy(data: object, key: 'device' | 'address'): string | undefined {
  const value: unknown = Reflect.get(data, key);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Every session of every user (`session_list`): the devices list. The device is named from the
 * user agent, and the address is where the session was last used from, both read from the events'
 * metadata (an event stored before they moved there still names its device in its data, and that
 * name is kept).
 */
export const sessionList = projection<SessionEvent, Database>()({
  name: 'session-list',
  handles: [T.SessionStarted, T.SessionRefreshed, T.SessionRevoked],
  async evolve(trx, event) {
    const { address, userAgent } = transportOf(event.metadata);
    switch (event.type) {
      case T.SessionStarted: {
        const d = event.data;
        await trx
          .insertInto('sessions.session_list')
          .values({
            session_id: d.sessionId,
            user_id: d.userId,
            device: legacy(d, 'device') ?? describeDevice(userAgent ?? undefined),
            address: address ?? legacy(d, 'address') ?? '',
            created_at: new Date(d.startedAt),
            last_seen_at: new Date(d.startedAt),
            ended_at: null,
            end_reason: null,
          })
          .onConflict((c) => c.column('session_id').doNothing())
          .execute();
        return;
      }
      case T.SessionRefreshed: {
        const seenFrom = address ?? legacy(event.data, 'address');
        await trx
          .updateTable('sessions.session_list')
          .set({ last_seen_at: new Date(event.data.refreshedAt), ...(seenFrom !== undefined ? { address: seenFrom } : {}) })
          .where('session_id', '=', event.data.sessionId)
          .execute();
        return;
      }
      case T.SessionRevoked:
        await trx
          .updateTable('sessions.session_list')
          .set({ ended_at: new Date(event.data.revokedAt), end_reason: event.data.reason })
          .where('session_id', '=', event.data.sessionId)
          .where('ended_at', 'is', null)
          .execute();
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  async reset(trx) {
    await trx.deleteFrom('sessions.session_list').execute();
  },
});

/** A user's sessions that are still live at `now`, most recently used first. */
export async function liveSessionsOf(db: Kysely<Database>, userId: string, now: Date, limits: { idleSeconds: number; lifetimeSeconds: number }) {
  return db
    .selectFrom('sessions.session_list')
    .selectAll()
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .where(sql<boolean>`last_seen_at > ${now}::timestamptz - make_interval(secs => ${limits.idleSeconds})`)
    .where(sql<boolean>`created_at > ${now}::timestamptz - make_interval(secs => ${limits.lifetimeSeconds})`)
    .orderBy('last_seen_at', 'desc')
    .limit(200)
    .execute();
}

/**
 * Every session of a user not ended yet, idle ones included (a session past its idle timeout is
 * ended at its next refresh; ending it now costs one event and makes sure of it).
 */
export async function openSessionIdsOf(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('sessions.session_list').select('session_id').where('user_id', '=', userId).where('ended_at', 'is', null).execute();
  return rows.map((r) => r.session_id);
}
