import { decideFile } from './domain/file/decide.js';
import { evolveFile, initialFileState } from './domain/file/file.js';

export { fileStream } from './domain/file/file.js';
export const fileDecider = { decide: decideFile, evolve: evolveFile, initialState: initialFileState };
