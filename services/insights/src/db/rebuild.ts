// Operator command: rebuilds insights' read models (documents, versions, tags, the work list) from
// its event log. `npm run rebuild -w @strata/insights -- [documents]`, or `node dist/db/rebuild.js`
// in the image, with DATABASE_URL set to the service's database (the direct server, not a
// transaction pooler). Passages and previews are readings, not facts: re-indexing renews them.
import { commandHandler, rebuildCommand } from '@strata/event-store';
import type { Kysely } from 'kysely';
import { projections } from '../projections/documents.js';
import { documentDecider, documentStream } from '../streams.js';
import { migrateReadModels } from './migrate.js';
import type { Database } from './schema.js';

await rebuildCommand({
  service: 'insights',
  schema: 'insights',
  migrate: migrateReadModels,
  targets: (store, db) => {
    const handler = commandHandler({ store, db: db as Kysely<Database>, decider: documentDecider, streamOf: documentStream, projections });
    return projections.map((p) => ({ name: p.name, rebuild: () => handler.rebuild(p) }));
  },
});
