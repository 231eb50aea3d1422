import type { RebuildOptions, RebuildTarget } from '@strata/event-store';
import type { FileCommands, FolderCommands } from '../plugins/core.js';
import { folderProjections, projections } from '../projections/index.js';
import type { Database } from './schema.js';

/** Every read model of files by its projection's name, and how each is replayed from the log. */
export function rebuildTargets(files: FileCommands, folders: FolderCommands): RebuildTarget[] {
  const options = (o: RebuildOptions<unknown> | undefined) => o as RebuildOptions<Database> | undefined;
  return [
    ...projections.map((p) => ({ name: p.name, rebuild: (o?: RebuildOptions<unknown>) => files.rebuild(p, options(o)) })),
    ...folderProjections.map((p) => ({ name: p.name, rebuild: (o?: RebuildOptions<unknown>) => folders.rebuild(p, options(o)) })),
  ];
}
