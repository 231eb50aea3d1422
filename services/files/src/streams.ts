import { decideLink } from './domain/link/decide.js';
import { evolveLink, initialLinkState } from './domain/link/link.js';
import { decideShare } from './domain/share/decide.js';
import { evolveShare, initialShareState } from './domain/share/share.js';
import { decideFile } from './domain/file/decide.js';
import { evolveFile, initialFileState } from './domain/file/file.js';
import { decideFolder } from './domain/folder/decide.js';
import { evolveFolder, initialFolderState } from './domain/folder/folder.js';

export { fileStream } from './domain/file/file.js';
export { folderStream } from './domain/folder/folder.js';
export const fileDecider = { decide: decideFile, evolve: evolveFile, initialState: initialFileState };
export const folderDecider = { decide: decideFolder, evolve: evolveFolder, initialState: initialFolderState };
export { shareStream } from './domain/share/share.js';
export { linkStream } from './domain/link/link.js';
export const shareDecider = { decide: decideShare, evolve: evolveShare, initialState: initialShareState };
export const linkDecider = { decide: decideLink, evolve: evolveLink, initialState: initialLinkState };
