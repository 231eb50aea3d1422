import { SessionEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AccountEvent } from '../domain/account/account.js';

/**
 * Which account a reset token belongs to (`password_resets`), by the token's SHA-256 alone: the
 * confirm request carries only the token. Whether the token is still good (unspent, unexpired) is
 * the account stream's to decide; rows of spent tokens are removed as their account moves on.
 */
export const passwordResets = projection<AccountEvent, Database>()({
  name: 'password-resets',
  handles: [T.PasswordResetRequested, T.PasswordReset, T.PasswordChanged],
  async evolve(trx, event) {
    switch (event.type) {
      case T.PasswordResetRequested:
        await trx
          .insertInto('sessions.password_resets')
          .values({ token_hash: event.data.tokenHash, user_id: event.data.userId, account_stream: event.streamId, expires_at: new Date(event.data.expiresAt) })
          .onConflict((c) => c.column('token_hash').doNothing())
          .execute();
        // the ones that expired are of no use to anyone
        await trx
          .deleteFrom('sessions.password_resets')
          .where('user_id', '=', event.data.userId)
          .where('expires_at', '<=', new Date(event.data.requestedAt))
          .execute();
        return;
      case T.PasswordReset:
      case T.PasswordChanged:
        await trx.deleteFrom('sessions.password_resets').where('user_id', '=', event.data.userId).execute();
        return;
      default:
        return;
    }
  },
  async reset(trx) {
    await trx.deleteFrom('sessions.password_resets').execute();
  },
});

/** The account a reset token names, if any (not whether the token is still good: the stream says). */
export async function resetTokenOwner(db: Kysely<Database>, tokenHash: string) {
  return db
    .selectFrom('sessions.password_resets')
    .select(['user_id', 'account_stream', sql<Date>`expires_at`.as('expires_at')])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}
