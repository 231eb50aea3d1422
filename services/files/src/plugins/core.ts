import { type CommandHandler, EventStore, commandHandler, kyselyFromPool, runRequestedRebuilds } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { migrateReadModels } from '../db/migrate.js';
import { rebuildTargets } from '../db/rebuild-targets.js';
import type { Database } from '../db/schema.js';
import type { FileCommand } from '../domain/file/decide.js';
import type { FileEvent, FileState } from '../domain/file/file.js';
import type { FolderCommand } from '../domain/folder/decide.js';
import type { FolderEvent, FolderState } from '../domain/folder/folder.js';
import { folderProjections, projections } from '../projections/index.js';
import { fileDecider, fileStream, folderDecider, folderStream } from '../streams.js';

export type FileCommands = CommandHandler<string, FileCommand, FileState, FileEvent, Database>;
export type FolderCommands = CommandHandler<string, FolderCommand, FolderState, FolderEvent, Database>;

declare module 'fastify' {
  interface FastifyInstance {
    store: EventStore;
    db: Kysely<Database>;
    /** The one command path: a file's stream, its decider and the read models, by file id. */
    commands: FileCommands;
    /** The folders' command path: a folder's stream, its decider and the folder tree, by folder id. */
    folderCommands: FolderCommands;
  }
}

/** The event store and read models in schema `files` (migrated at start under a lock), and the command handler. */
export const corePlugin = fp(
  async (app: FastifyInstance) => {
    const db = kyselyFromPool(app.pg, { namedStatements: app.pgNamedStatements }) as Kysely<Database>;
    // migrations hold session locks: past the pooler, where a session is this replica's own
    const direct = kyselyFromPool(app.pgDirect, { namedStatements: false });
    await migrateReadModels(direct as Kysely<unknown>);
    const store = await EventStore.open({ db, schema: 'files' }, { db: direct });
    app.decorate('db', db);
    app.decorate('store', store);
    const commands: FileCommands = commandHandler({ store, db, decider: fileDecider, streamOf: fileStream, projections, clock: app.clock });
    const folderCommands: FolderCommands = commandHandler({ store, db, decider: folderDecider, streamOf: folderStream, projections: folderProjections, clock: app.clock });
    app.decorate('commands', commands);
    app.decorate('folderCommands', folderCommands);
    // the read models a migration asked to fill from the log, before any request reads them
    for (const done of await runRequestedRebuilds(db as Kysely<unknown>, 'files', rebuildTargets(commands, folderCommands))) {
      if (done.ran) app.log.info({ readModel: done.name, events: done.events, ms: done.ms }, 'read model rebuilt from the log, as a migration asked');
    }
  },
  { name: 'files-core', dependencies: ['strata-postgres', 'strata-request-context'] },
);
