import { activity } from './activity.js';
import { fileList } from './files.js';
import { grants } from './grants.js';

/** Every read model of the files service, kept in the append's transaction and rebuilt from the log. */
export const projections = [fileList, grants, activity] as const;
export { activity, fileList, grants };
