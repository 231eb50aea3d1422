import { SessionEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import type { Kysely } from 'kysely';
import type { Database, PartnerClientsTable } from '../db/schema.js';
import { ClientBookkeeping as B, type ClientEvent } from '../domain/client/client.js';

/** The partner clients (`partner_clients`): name, scopes, plan and owner; their secrets' hashes stay in their streams. */
export const partnerClients = projection<ClientEvent, Database>()({
  name: 'partner-clients',
  handles: [T.PartnerClientRegistered, B.PartnerClientSecretRotated, B.PartnerClientScopesChanged],
  async evolve(trx, event) {
    switch (event.type) {
      case T.PartnerClientRegistered: {
        const d = event.data;
        await trx
          .insertInto('sessions.partner_clients')
          .values({ client_id: d.clientId, name: d.name, scopes: d.scopes, plan: d.plan, registered_at: new Date(d.registeredAt), owner_user_id: d.ownerUserId ?? null })
          .onConflict((c) => c.column('client_id').doNothing())
          .execute();
        return;
      }
      case B.PartnerClientSecretRotated:
        await trx.updateTable('sessions.partner_clients').set({ secret_rotated_at: new Date(event.data.rotatedAt) }).where('client_id', '=', event.data.clientId).execute();
        return;
      case B.PartnerClientScopesChanged:
        await trx.updateTable('sessions.partner_clients').set({ scopes: event.data.scopes }).where('client_id', '=', event.data.clientId).execute();
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  },
  async reset(trx) {
    await trx.deleteFrom('sessions.partner_clients').execute();
  },
});

export type PartnerClientRow = Pick<PartnerClientsTable, 'client_id' | 'name' | 'scopes' | 'plan' | 'registered_at' | 'secret_rotated_at'>;

/** A user's own partner clients, oldest first. */
export function clientsOwnedBy(db: Kysely<Database>, userId: string): Promise<PartnerClientRow[]> {
  return db.selectFrom('sessions.partner_clients').select(['client_id', 'name', 'scopes', 'plan', 'registered_at', 'secret_rotated_at']).where('owner_user_id', '=', userId).orderBy('registered_at').orderBy('client_id').execute();
}

/** One client, if it is the user's. */
export function clientOwnedBy(db: Kysely<Database>, userId: string, clientId: string): Promise<PartnerClientRow | undefined> {
  return db.selectFrom('sessions.partner_clients').select(['client_id', 'name', 'scopes', 'plan', 'registered_at', 'secret_rotated_at']).where('owner_user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
}
