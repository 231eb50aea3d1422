import { EventStore, kyselyFromPool } from '@strata/event-store';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { CommandRunner } from '../commands.js';
import { migrateReadModels } from '../db/migrate.js';
import type { Database } from '../db/schema.js';

/** Time as the service sees it; tests drive the scheduled jobs with their own clock. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

declare module 'fastify' {
  interface FastifyInstance {
    store: EventStore;
    db: Kysely<Database>;
    commands: CommandRunner;
    clock: Clock;
  }
}

/** The event store and read models in schema `files` (migrated at start under a lock), and the command runner. */
export const corePlugin = fp(
  async (app: FastifyInstance, opts: { clock?: Clock }) => {
    const db = kyselyFromPool(app.pg) as Kysely<Database>;
    await migrateReadModels(db as Kysely<unknown>);
    const store = await EventStore.open({ db, schema: 'files' });
    app.decorate('db', db);
    app.decorate('store', store);
    app.decorate('commands', new CommandRunner(store, db));
    app.decorate('clock', opts.clock ?? systemClock);
  },
  { name: 'files-core', dependencies: ['strata-postgres'] },
);
