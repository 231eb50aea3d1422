import type { RebuildOptions, RebuildTarget } from '@strata/event-store';
import type { FileCommands, FolderCommands, LinkCommands, ShareCommands } from '../plugins/core.js';
import { folderProjections, links, projections, shares } from '../projections/index.js';
import type { Database } from './schema.js';

/** Every read model of files by its projection's name, and how each is replayed from the log. */
export function rebuildTargets(files: FileCommands, folders: FolderCommands, sharing: ShareCommands, linking: LinkCommands): RebuildTarget[] {
  const options = (o: RebuildOptions<unknown> | undefined) => o as RebuildOptions<Database> | undefined;
  return [
    ...projections.map((p) => ({ name: p.name, rebuild: (o?: RebuildOptions<unknown>) => files.rebuild(p, options(o)) })),
    ...folderProjections.map((p) => ({ name: p.name, rebuild: (o?: RebuildOptions<unknown>) => folders.rebuild(p, options(o)) })),
    // the trail is rebuilt once, with the files' (its handles name the shares' and links' events too)
    { name: shares.name, rebuild: (o?: RebuildOptions<unknown>) => sharing.rebuild(shares, options(o)) },
    { name: links.name, rebuild: (o?: RebuildOptions<unknown>) => linking.rebuild(links, options(o)) },
  ];
}
