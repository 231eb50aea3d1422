/**
 * Understanding extracted text (issue 14, items 2 and 4): keywords, entities, summary and tags;
 * passages for retrieval; extractive answers and version comparison. Pure functions, no I/O.
 */
export { answerExtractively, EXTRACTIVE_LABEL, NOTHING_FOUND, type Candidate, type Citation, type ExtractiveAnswer } from './answer.js';
export { chunk, CHUNK_MAX, CHUNK_TARGET, type Chunk } from './chunk.js';
export { compareVersions, MAX_COMPARED_SENTENCES, type VersionComparison } from './compare.js';
export { MAX_ENTITIES, type Entity, type EntityKind } from './entities.js';
export { MAX_KEYWORDS } from './keywords.js';
export { MAX_SUMMARY } from './summary.js';
export { MAX_TAGS, type SuggestedTag } from './tags.js';
export { ANALYSED_CHARS } from './text.js';
export { understand, UNDERSTANDING_VERSION, type Understanding } from './understand.js';
