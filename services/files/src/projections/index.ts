import { activity, linkActivity, shareActivity } from './activity.js';
import { fileList } from './files.js';
import { folderList } from './folders.js';
import { grants } from './grants.js';
import { fileHistory, folderHistory } from './history.js';
import { links, shares } from './shares.js';

/** Every read model of the files' streams, kept in the append's transaction and rebuilt from the log. */
export const projections = [fileList, grants, activity, fileHistory] as const;
/** The read models of the folders' streams. */
export const folderProjections = [folderList, folderHistory] as const;
/** The read models of the share streams, and of the link streams; both write the owner's trail. */
export const shareProjections = [shares, shareActivity] as const;
export const linkProjections = [links, linkActivity] as const;
export { activity, fileHistory, fileList, folderHistory, folderList, grants, linkActivity, links, shareActivity, shares };
