import type { DomainEvent, Projection } from '@strata/event-store';
import type { Database } from '../db/schema.js';
import type { FileEvent } from '../domain/file/file.js';
import type { LinkEvent } from '../domain/link/link.js';
import type { ShareEvent } from '../domain/share/share.js';
import { activity } from './activity.js';
import { fileList } from './files.js';
import { folderList } from './folders.js';
import { grants } from './grants.js';
import { fileHistory, folderHistory } from './history.js';
import { links, shares } from './shares.js';

/** Every read model of the files' streams, kept in the append's transaction and rebuilt from the log. */
/**
 * The owner's trail is one read model over the files', shares' and links' streams, in the log's
 * order: each of the three command paths keeps it in its own appends (a handler hands a projection
 * only its own decider's events; a rebuild replays every type the trail handles, from every stream).
 */
const trailOf = <E extends DomainEvent>() => activity as unknown as Projection<E, Database>;

export const projections = [fileList, grants, trailOf<FileEvent>(), fileHistory] as const;
/** The read models of the folders' streams. */
export const folderProjections = [folderList, folderHistory] as const;
/** The read models of the share streams, and of the link streams; both keep the owner's trail too. */
export const shareProjections = [shares, trailOf<ShareEvent>()] as const;
export const linkProjections = [links, trailOf<LinkEvent>()] as const;
export { activity, fileHistory, fileList, folderHistory, folderList, grants, links, shares };
