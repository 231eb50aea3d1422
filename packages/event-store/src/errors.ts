import type { ExpectedVersion } from './types.js';

/**
 * An append found its stream in another state than expected. Services answer 409 (or 412 when the
 * client sent If-Match); the caller may re-read and decide again.
 */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** The stream's version when the conflict was seen; 0 when it does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${String(expected)}, found ${actual}`);
    this.name = 'ConcurrencyError';
  }
}

/**
 * Some of an append's event ids are stored already, but not as that same append (another stream or
 * only part of the batch): the ids were reused for different events, which is a caller bug.
 */
export class DuplicateEventError extends Error {
  constructor(
    readonly streamId: string,
    readonly eventIds: readonly string[],
  ) {
    super(`stream ${streamId}: event ids already stored for other events: ${eventIds.join(', ')}`);
    this.name = 'DuplicateEventError';
  }
}
