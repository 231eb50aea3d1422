import { type Clock, type EventStore, commandHandler } from '@strata/event-store';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import { partnerClients, passwordResets, sessionList, users } from './projections/index.js';
import { accountDecider, accountStream, clientDecider, clientStream, sessionDecider, sessionStream } from './streams.js';

/**
 * The service's command paths, one per decider, each with the read models its events change:
 * accounts by e-mail address, sessions by session id, partner clients by client id.
 */
export function sessionsCommands(options: { store: EventStore; db: Kysely<Database>; clock?: Clock }) {
  return {
    accounts: commandHandler({ ...options, decider: accountDecider, streamOf: accountStream, projections: [users, passwordResets] }),
    sessions: commandHandler({ ...options, decider: sessionDecider, streamOf: sessionStream, projections: [sessionList] }),
    clients: commandHandler({ ...options, decider: clientDecider, streamOf: clientStream, projections: [partnerClients] }),
  };
}

export type SessionsCommands = ReturnType<typeof sessionsCommands>;
