// Operator command: rebuilds sessions' read models from the event log, e.g. after a projection's
// code changed. `npm run rebuild -w @strata/sessions -- [users|session-list|partner-clients|password-resets]` (no
// name: all), or `node dist/db/rebuild.js ...` in the image, with DATABASE_URL set to the service's
// database (the direct server, not a transaction pooler).
import { rebuildCommand } from '@strata/event-store';
import type { Kysely } from 'kysely';
import { sessionsCommands } from '../commands.js';
import { partnerClients, passwordResets, sessionList, users } from '../projections/index.js';
import { migrateReadModels } from './migrate.js';
import type { Database } from './schema.js';

await rebuildCommand({
  service: 'sessions',
  schema: 'sessions',
  migrate: migrateReadModels,
  targets: (store, db) => {
    const { accounts, sessions, clients } = sessionsCommands({ store, db: db as Kysely<Database> });
    return [
      { name: users.name, rebuild: () => accounts.rebuild(users) },
      { name: sessionList.name, rebuild: () => sessions.rebuild(sessionList) },
      { name: partnerClients.name, rebuild: () => clients.rebuild(partnerClients) },
      { name: passwordResets.name, rebuild: () => accounts.rebuild(passwordResets) },
    ];
  },
});
