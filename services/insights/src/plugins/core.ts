import { type CommandHandler, EventStore, commandHandler, kyselyFromPool } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { fillSearchTiers } from '../db/tiers-fill.js';
import type { Kysely } from 'kysely';
import { migrateReadModels } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import type { DocumentCommand } from '../domain/document/decide.js';
import type { DocumentEvent, DocumentState } from '../domain/document/document.js';
import { projections } from '../projections/documents.js';
import { documentDecider, documentStream } from '../streams.js';

export type DocumentCommands = CommandHandler<string, DocumentCommand, DocumentState, DocumentEvent, Database>;

declare module 'fastify' {
  interface FastifyInstance {
    store: EventStore;
    db: Kysely<Database>;
    /** The one command path: a file's document stream, its decider and the read models, by file id. */
    commands: DocumentCommands;
  }
}

/** The event store and read models in schema `insights` (migrated at start under a lock), and the command handler. */
export const corePlugin = fp(
  async (app: FastifyInstance) => {
    const db = kyselyFromPool(app.pg, { namedStatements: app.pgNamedStatements }) as Kysely<Database>;
    // migrations hold session locks: past the pooler, where a session is this replica's own
    const direct = kyselyFromPool(app.pgDirect, { namedStatements: false });
    await migrateReadModels(direct as Kysely<unknown>);
    const store = await EventStore.open({ db, schema: 'insights' }, { db: direct });
    app.decorate('db', db);
    app.decorate('store', store);
    app.decorate('commands', commandHandler({ store, db, decider: documentDecider, streamOf: documentStream, projections, clock: app.clock }));
    // the search tiers of documents indexed before they existed, in the background once up
    const stopping = new AbortController();
    app.addHook('onReady', async () => {
      void fillSearchTiers(db, app.log, stopping.signal);
    });
    app.addHook('onClose', async () => stopping.abort());
  },
  { name: 'insights-core', dependencies: ['strata-postgres', 'strata-request-context'] },
);
