import type { Kysely, Migration } from 'kysely';
import { migrateReadModels } from '@strata/service-kit';
import * as webhooks from './migrations/20261204T030000_webhooks.js';

const migrations: Record<string, Migration> = {
  '20261204T030000_webhooks': webhooks,
};

/** The webhooks service's tables, in schema `webhooks`. */
export function migrate(db: Kysely<unknown>): Promise<void> {
  return migrateReadModels(db, 'webhooks', migrations);
}
