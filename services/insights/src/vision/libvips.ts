import sharp from 'sharp';

// libvips keeps the results of recent operations (50 MB by default) for pipelines that repeat
// them, and gives each pipeline a thread per core with buffers of its own. Insights reads each
// picture once, in an extraction worker that runs one job at a time: the cache only holds memory
// at the process's peak, and one thread per pipeline is what the worker's one job uses anyway.
sharp.cache(false);
sharp.concurrency(1);

/** sharp, with libvips' cache off and one thread per pipeline (every vision module imports it from here). */
export default sharp;
export type { Metadata, Sharp } from 'sharp';
