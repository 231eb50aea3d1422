import type { Kysely, Migration } from 'kysely';
import { migrateReadModels as migrate } from '@strata/service-kit';
import * as readModels from './migrations/20261125T200000_read_models.js';
import * as passwordResets from './migrations/20261204T020000_password_resets.js';
import * as partnerOwners from './migrations/20261204T030000_partner_owners.js';

const migrations: Record<string, Migration> = {
  '20261125T200000_read_models': readModels,
  '20261204T020000_password_resets': passwordResets,
  '20261204T030000_partner_owners': partnerOwners,
};

/** The sessions service's read models, in schema `sessions`. */
export function migrateReadModels(db: Kysely<unknown>): Promise<void> {
  return migrate(db, 'sessions', migrations);
}
