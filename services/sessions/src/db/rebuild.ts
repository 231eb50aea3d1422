// Operator command: rebuilds sessions' read models from the event log, e.g. after a projection's
// code changed. `npm run rebuild -w @strata/sessions -- [users|session-list|partner-clients]` (no
// name: all), or `node dist/db/rebuild.js ...` in the image, with DATABASE_URL set to the service's
// database (the direct server, not a transaction pooler: the rebuild holds its projection's lock
// for its whole transaction). Replicas keep serving the old rows until each rebuild commits.
import { EventStore, kyselyFromPool, runRebuild } from '@strata/event-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { sessionsCommands } from '../commands.js';
import { partnerClients, sessionList, users } from '../projections/index.js';
import { migrateReadModels } from './migrate.js';
import type { Database } from './schema.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is not set: give the sessions database (postgres://...)\n');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'sessions-rebuild' });
try {
  const db = kyselyFromPool(pool) as Kysely<Database>;
  await migrateReadModels(db as Kysely<unknown>);
  const store = await EventStore.open({ db, schema: 'sessions' });
  const { accounts, sessions, clients } = sessionsCommands({ store, db });
  process.exitCode = await runRebuild(
    [
      { name: users.name, rebuild: () => accounts.rebuild(users) },
      { name: sessionList.name, rebuild: () => sessions.rebuild(sessionList) },
      { name: partnerClients.name, rebuild: () => clients.rebuild(partnerClients) },
    ],
    process.argv.slice(2),
  );
} finally {
  await pool.end();
}
