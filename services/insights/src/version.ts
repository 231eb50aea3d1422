/**
 * The version of what the indexer derives from a file (extraction, understanding, passages,
 * previews). Every derived row records it; raising it (here, or INDEX_EXTRACTOR_VERSION) makes the
 * indexer read every version again in the background, while search keeps answering from the rows
 * it replaces one document at a time.
 */
export const EXTRACTOR_VERSION = 1;
