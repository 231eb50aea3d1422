// Operator command: rebuilds files' read models from the event log, e.g. after a projection's
// code changed. `npm run rebuild -w @strata/files -- [files|grants|activity]` (no name: all), or
// `node dist/db/rebuild.js ...` in the image, with DATABASE_URL set to the service's database (the
// direct server, not a transaction pooler: the rebuild holds its projection's lock for its whole
// transaction). Replicas keep serving the old rows until each rebuild commits.
import { EventStore, commandHandler, kyselyFromPool, runRebuild } from '@strata/event-store';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { projections } from '../projections/index.js';
import { fileDecider, fileStream } from '../streams.js';
import { migrateReadModels } from './migrate.js';
import type { Database } from './schema.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is not set: give the files database (postgres://...)\n');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'files-rebuild' });
try {
  const db = kyselyFromPool(pool) as Kysely<Database>;
  await migrateReadModels(db as Kysely<unknown>);
  const store = await EventStore.open({ db, schema: 'files' });
  const handler = commandHandler({ store, db, decider: fileDecider, streamOf: fileStream, projections });
  process.exitCode = await runRebuild(
    projections.map((p) => ({ name: p.name, rebuild: () => handler.rebuild(p) })),
    process.argv.slice(2),
  );
} finally {
  await pool.end();
}
