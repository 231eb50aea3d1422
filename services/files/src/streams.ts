import { decideFile } from './domain/file/decide.js';
import { evolveFile, initialFileState } from './domain/file/file.js';
import { decideFolder } from './domain/folder/decide.js';
import { evolveFolder, initialFolderState } from './domain/folder/folder.js';

export { fileStream } from './domain/file/file.js';
export { folderStream } from './domain/folder/folder.js';
export const fileDecider = { decide: decideFile, evolve: evolveFile, initialState: initialFileState };
export const folderDecider = { decide: decideFolder, evolve: evolveFolder, initialState: initialFolderState };
