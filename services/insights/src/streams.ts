import { decideDocument } from './domain/document/decide.js';
import { evolveDocument, initialDocumentState } from './domain/document/document.js';

export { documentStream } from './domain/document/document.js';
export const documentDecider = { decide: decideDocument, evolve: evolveDocument, initialState: initialDocumentState };
