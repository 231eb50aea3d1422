import type { RebuildOptions, RebuildTarget } from '@strata/event-store';
import type { FileCommands, FolderCommands, LinkCommands, ShareCommands } from '../plugins/core.js';
import { folderProjections, linkProjections, projections, shareProjections } from '../projections/index.js';
import type { Database } from './schema.js';

/** Every read model of files by its projection's name, and how each is replayed from the log. */
export function rebuildTargets(files: FileCommands, folders: FolderCommands, sharing: ShareCommands, linking: LinkCommands): RebuildTarget[] {
  const options = (o: RebuildOptions<unknown> | undefined) => o as RebuildOptions<Database> | undefined;
  return [
    ...projections.map((p) => ({ name: p.name, rebuild: (o?: RebuildOptions<unknown>) => files.rebuild(p, options(o)) })),
    ...folderProjections.map((p) => ({ name: p.name, rebuild: (o?: RebuildOptions<unknown>) => folders.rebuild(p, options(o)) })),
    ...shareProjections.map((p) => ({ name: p.name, rebuild: (o?: RebuildOptions<unknown>) => sharing.rebuild(p, options(o)) })),
    ...linkProjections.map((p) => ({ name: p.name, rebuild: (o?: RebuildOptions<unknown>) => linking.rebuild(p, options(o)) })),
  ];
}
