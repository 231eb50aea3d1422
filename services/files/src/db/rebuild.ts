// Operator command: rebuilds files' read models from the event log, e.g. after a projection's
// code changed. `npm run rebuild -w @strata/files -- [files|grants|activity|folders|shares|links]` (no name: all), or
// `node dist/db/rebuild.js ...` in the image, with DATABASE_URL set to the service's database
// (the direct server, not a transaction pooler).
import { commandHandler, rebuildCommand } from '@strata/event-store';
import type { Kysely } from 'kysely';
import { folderProjections, linkProjections, projections, shareProjections } from '../projections/index.js';
import { fileDecider, fileStream, folderDecider, folderStream, linkDecider, linkStream, shareDecider, shareStream } from '../streams.js';
import { migrateReadModels } from './migrate.js';
import { rebuildTargets } from './rebuild-targets.js';
import type { Database } from './schema.js';

await rebuildCommand({
  service: 'files',
  schema: 'files',
  migrate: migrateReadModels,
  targets: (store, db) => {
    const files = commandHandler({ store, db: db as Kysely<Database>, decider: fileDecider, streamOf: fileStream, projections });
    const folders = commandHandler({ store, db: db as Kysely<Database>, decider: folderDecider, streamOf: folderStream, projections: folderProjections });
    const sharing = commandHandler({ store, db: db as Kysely<Database>, decider: shareDecider, streamOf: shareStream, projections: shareProjections });
    const linking = commandHandler({ store, db: db as Kysely<Database>, decider: linkDecider, streamOf: linkStream, projections: linkProjections });
    return rebuildTargets(files, folders, sharing, linking);
  },
});
