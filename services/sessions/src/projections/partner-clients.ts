import { SessionEventTypes as T } from '@strata/contracts';
import { projection } from '@strata/event-store';
import type { Database } from '../db/schema.js';
import type { ClientEvent } from '../domain/client/client.js';

/** The partner clients (`partner_clients`): name, scopes and plan; their secrets' hashes stay in their streams. */
export const partnerClients = projection<ClientEvent, Database>()({
  name: 'partner-clients',
  handles: [T.PartnerClientRegistered],
  async evolve(trx, event) {
    const d = event.data;
    await trx
      .insertInto('sessions.partner_clients')
      .values({ client_id: d.clientId, name: d.name, scopes: d.scopes, plan: d.plan, registered_at: new Date(d.registeredAt) })
      .onConflict((c) => c.column('client_id').doNothing())
      .execute();
  },
  async reset(trx) {
    await trx.deleteFrom('sessions.partner_clients').execute();
  },
});
