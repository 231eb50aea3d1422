import { SessionEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import type { Database } from '../db/schema.js';
import type { AccountEvent } from '../domain/account/account.js';

/** Who is registered (`users`): what `GET /me` shows. Password hashes live in the account stream only. */
export const users = projection<AccountEvent, Database>()({
  name: 'users',
  handles: [T.UserRegistered],
  async evolve(trx, event) {
    const d = event.data;
    await trx
      .insertInto('sessions.users')
      .values({ user_id: d.userId, account_stream: event.streamId, email: d.email, display_name: d.displayName, registered_at: new Date(d.registeredAt) })
      .onConflict((c) => c.column('user_id').doNothing())
      .execute();
  },
  async reset(trx) {
    await trx.deleteFrom('sessions.users').execute();
  },
});
