import { SessionEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AccountEvent } from '../domain/account/account.js';

/** Who is registered (`users`): what `GET /me` shows. Password hashes live in the account stream only. */
export const users = projection<AccountEvent, Database>()({
  name: 'users',
  handles: [T.UserRegistered, T.DisplayNameChanged],
  async evolve(trx, event) {
    switch (event.type) {
      case T.UserRegistered: {
        const d = event.data;
        await trx
          .insertInto('sessions.users')
          .values({ user_id: d.userId, account_stream: event.streamId, email: d.email, display_name: d.displayName, registered_at: new Date(d.registeredAt) })
          .onConflict((c) => c.column('user_id').doNothing())
          .execute();
        return;
      }
      case T.DisplayNameChanged:
        await trx.updateTable('sessions.users').set({ display_name: event.data.displayName }).where('user_id', '=', event.data.userId).execute();
        return;
      default:
        return;
    }
  },
  async reset(trx) {
    await trx.deleteFrom('sessions.users').execute();
  },
});

/** The account a user id names: its address (the account stream's key) and what GET /me shows. */
export async function userById(db: Kysely<Database>, userId: string) {
  return db.selectFrom('sessions.users').selectAll().where('user_id', '=', userId).executeTakeFirst();
}
