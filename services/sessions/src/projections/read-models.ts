import type { RecordedEvent } from '@strata/event-store';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AccountEvent } from '../domain/account/account.js';
import type { ClientEvent } from '../domain/client/client.js';
import type { SessionEvent } from '../domain/session/session.js';

export type SessionsServiceEvent = AccountEvent | SessionEvent | ClientEvent;

/**
 * The read models (users, the session list, partner clients), updated in the same transaction as
 * the append that caused them, so a client reads its own writes at once. Every statement is
 * idempotent, so replaying the whole log (rebuild) gives the same rows.
 */
export async function project(db: Kysely<Database> | Transaction<Database>, event: RecordedEvent<SessionsServiceEvent>): Promise<void> {
  switch (event.type) {
    case 'UserRegistered': {
      const d = event.data;
      await db
        .insertInto('sessions.users')
        .values({ user_id: d.userId, account_stream: event.streamId, email: d.email, display_name: d.displayName, registered_at: new Date(d.registeredAt) })
        .onConflict((c) => c.column('user_id').doNothing())
        .execute();
      return;
    }
    case 'PasswordRehashed':
      // hashes live in the account stream only; no read model holds one
      return;
    case 'SessionStarted': {
      const d = event.data;
      await db
        .insertInto('sessions.session_list')
        .values({
          session_id: d.sessionId,
          user_id: d.userId,
          device: d.device,
          address: d.address,
          created_at: new Date(d.startedAt),
          last_seen_at: new Date(d.startedAt),
          ended_at: null,
          end_reason: null,
        })
        .onConflict((c) => c.column('session_id').doNothing())
        .execute();
      return;
    }
    case 'SessionRefreshed':
      await db
        .updateTable('sessions.session_list')
        .set({ last_seen_at: new Date(event.data.refreshedAt), address: event.data.address })
        .where('session_id', '=', event.data.sessionId)
        .execute();
      return;
    case 'SessionRevoked':
      await db
        .updateTable('sessions.session_list')
        .set({ ended_at: new Date(event.data.revokedAt), end_reason: event.data.reason })
        .where('session_id', '=', event.data.sessionId)
        .where('ended_at', 'is', null)
        .execute();
      return;
    case 'PartnerClientRegistered': {
      const d = event.data;
      await db
        .insertInto('sessions.partner_clients')
        .values({ client_id: d.clientId, name: d.name, scopes: d.scopes, plan: d.plan, registered_at: new Date(d.registeredAt) })
        .onConflict((c) => c.column('client_id').doNothing())
        .execute();
      return;
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}
