import { type CommandHandler, EventStore, type RequestedRebuild, commandHandler, kyselyFromPool, requestedRebuilds, runRequestedRebuilds } from '@strata/event-store';
import { unavailable } from '@strata/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { migrateReadModels } from '../db/migrate.js';
import { rebuildTargets } from '../db/rebuild-targets.js';
import type { Database } from '../db/schema.js';
import type { FileCommand } from '../domain/file/decide.js';
import type { FileEvent, FileState } from '../domain/file/file.js';
import type { FolderCommand } from '../domain/folder/decide.js';
import type { FolderEvent, FolderState } from '../domain/folder/folder.js';
import type { LinkCommand } from '../domain/link/decide.js';
import type { LinkEvent, LinkState } from '../domain/link/link.js';
import type { ShareCommand } from '../domain/share/decide.js';
import type { ShareEvent, ShareState } from '../domain/share/share.js';
import { folderProjections, linkProjections, projections, shareProjections } from '../projections/index.js';
import { fileDecider, fileStream, folderDecider, folderStream, linkDecider, linkStream, shareDecider, shareStream } from '../streams.js';

export type FileCommands = CommandHandler<string, FileCommand, FileState, FileEvent, Database>;
export type FolderCommands = CommandHandler<string, FolderCommand, FolderState, FolderEvent, Database>;
export type ShareCommands = CommandHandler<string, ShareCommand, ShareState, ShareEvent, Database>;
export type LinkCommands = CommandHandler<string, LinkCommand, LinkState, LinkEvent, Database>;

declare module 'fastify' {
  interface FastifyInstance {
    store: EventStore;
    db: Kysely<Database>;
    /** The one command path: a file's stream, its decider and the read models, by file id. */
    commands: FileCommands;
    /** The folders' command path: a folder's stream, its decider and the folder tree, by folder id. */
    folderCommands: FolderCommands;
    /** Shares with other users, by share id (`share-<id>`). */
    shareCommands: ShareCommands;
    /** Share links, by link id (`link-<id>`). */
    linkCommands: LinkCommands;
    /** The read models a migration asked to fill from the log that are not filled yet (see pastReadable). */
    rebuilding: ReadonlySet<string>;
    /** What this replica rebuilt because a migration asked (`ran` false: another replica had done it). */
    rebuilt: readonly RequestedRebuild[];
  }
}

/** The read models time travel reads: the past is there once both hold the whole log. */
const HISTORY = ['file-history', 'folder-history'];

/** Refuses (503, Retry-After) a read of the past while the history is still being filled from the log. */
export function pastReadable(app: FastifyInstance): void {
  if (HISTORY.some((name) => app.rebuilding.has(name))) {
    throw unavailable("The drive's history is being filled from the log after an upgrade; ask again in a moment.");
  }
}

/**
 * The rebuilds a migration asked for, in the background once the app is up: readiness says
 * `read-models` is not ready until they are done, and a failed one is tried again (1 s, doubling
 * to a minute) until it succeeds or the app stops. Not before listening: a replay of a large log
 * outlasts any start-up probe, and the probe's kill would roll it back to begin again forever.
 */
function rebuildWhenUp(app: FastifyInstance, pending: Set<string>, run: () => Promise<RequestedRebuild[]>, rebuilt: RequestedRebuild[]) {
  if (pending.size === 0) return;
  const stopping = new AbortController();
  app.addReadinessCheck('read-models', async () =>
    pending.size === 0 ? { ok: true } : { ok: false, reason: `filling ${[...pending].join(', ')} from the log, as a migration asked` },
  );
  app.addHook('onClose', async () => stopping.abort());
  app.addHook('onReady', async () => {
    void (async () => {
      for (let attempt = 0; pending.size > 0 && !stopping.signal.aborted; attempt++) {
        try {
          for (const done of await run()) {
            rebuilt.push(done);
            pending.delete(done.name);
            if (done.ran) app.log.info({ readModel: done.name, events: done.events, ms: done.ms }, 'read model filled from the log, as a migration asked');
          }
          pending.clear();
        } catch (err) {
          if (stopping.signal.aborted) return;
          const wait = Math.min(60_000, 1_000 * 2 ** attempt);
          app.log.error({ err, retryInMs: wait }, 'a read model a migration asked for could not be filled from the log; trying again');
          await sleep(wait, undefined, { signal: stopping.signal }).catch(() => undefined);
        }
      }
    })();
  });
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
    app.decorate('commands', commandHandler({ store, db, decider: fileDecider, streamOf: fileStream, projections, clock: app.clock }));
    app.decorate('folderCommands', commandHandler({ store, db, decider: folderDecider, streamOf: folderStream, projections: folderProjections, clock: app.clock }));
    app.decorate('shareCommands', commandHandler({ store, db, decider: shareDecider, streamOf: shareStream, projections: shareProjections, clock: app.clock }));
    app.decorate('linkCommands', commandHandler({ store, db, decider: linkDecider, streamOf: linkStream, projections: linkProjections, clock: app.clock }));
    // the read models a migration asked to fill from the log: replayed on the direct connection
    // (one long transaction, past the pooler), once the app is up
    const pending = new Set(await requestedRebuilds(direct as Kysely<unknown>, 'files'));
    const rebuilt: RequestedRebuild[] = [];
    app.decorate('rebuilding', pending);
    app.decorate('rebuilt', rebuilt);
    const replay = () => {
      const directDb = direct as Kysely<Database>;
      const files: FileCommands = commandHandler({ store, db: directDb, decider: fileDecider, streamOf: fileStream, projections, clock: app.clock });
      const folders: FolderCommands = commandHandler({ store, db: directDb, decider: folderDecider, streamOf: folderStream, projections: folderProjections, clock: app.clock });
      const sharing: ShareCommands = commandHandler({ store, db: directDb, decider: shareDecider, streamOf: shareStream, projections: shareProjections, clock: app.clock });
      const linking: LinkCommands = commandHandler({ store, db: directDb, decider: linkDecider, streamOf: linkStream, projections: linkProjections, clock: app.clock });
      return runRequestedRebuilds(direct as Kysely<unknown>, 'files', rebuildTargets(files, folders, sharing, linking));
    };
    rebuildWhenUp(app, pending, replay, rebuilt);
  },
  { name: 'files-core', dependencies: ['strata-postgres', 'strata-request-context'] },
);
