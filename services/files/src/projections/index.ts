import { activity } from './activity.js';
import { fileList } from './files.js';
import { folderList } from './folders.js';
import { grants } from './grants.js';
import { fileHistory, folderHistory } from './history.js';

/** Every read model of the files' streams, kept in the append's transaction and rebuilt from the log. */
export const projections = [fileList, grants, activity, fileHistory] as const;
/** The read models of the folders' streams. */
export const folderProjections = [folderList, folderHistory] as const;
export { activity, fileHistory, fileList, folderHistory, folderList, grants };
