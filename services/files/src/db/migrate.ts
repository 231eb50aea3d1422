import type { Kysely, Migration } from 'kysely';
import { migrateReadModels as migrate } from '@strata/service-kit';
import * as readModels from './migrations/20261125T210000_read_models.js';
import * as uploadFailures from './migrations/20261201T100000_upload_failures.js';
import * as rehydration from './migrations/20261201T130000_rehydration.js';
import * as folders from './migrations/20261201T170000_folders.js';
import * as folderOperations from './migrations/20261202T120000_folder_operations.js';
import * as versionControl from './migrations/20261202T130000_version_control.js';
import * as history from './migrations/20261202T140000_history.js';
import * as historyBackfill from './migrations/20261202T150000_history_backfill.js';
import * as zipLinks from './migrations/20261202T160000_zip_links.js';
import * as historySortKeys from './migrations/20261202T170000_history_sort_keys.js';
import * as shares from './migrations/20261204T010000_shares.js';
import * as exports from './migrations/20261204T020000_exports.js';

const migrations: Record<string, Migration> = {
  '20261125T210000_read_models': readModels,
  '20261201T100000_upload_failures': uploadFailures,
  '20261201T130000_rehydration': rehydration,
  '20261201T170000_folders': folders,
  '20261202T120000_folder_operations': folderOperations,
  '20261202T130000_version_control': versionControl,
  '20261202T140000_history': history,
  '20261202T150000_history_backfill': historyBackfill,
  '20261202T160000_zip_links': zipLinks,
  '20261202T170000_history_sort_keys': historySortKeys,
  '20261204T010000_shares': shares,
  '20261204T020000_exports': exports,
};

/** The files service's read models, in schema `files`. */
export function migrateReadModels(db: Kysely<unknown>): Promise<void> {
  return migrate(db, 'files', migrations);
}
