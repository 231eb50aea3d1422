import type { LogCursor } from './types.js';

/**
 * The global log's order as pure functions: (transactionId, position), compared as 64-bit
 * integers. The reader and the tests share them.
 */

export function compareCursors(a: LogCursor, b: LogCursor): number {
  const ta = BigInt(a.transactionId);
  const tb = BigInt(b.transactionId);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.position === b.position ? 0 : a.position < b.position ? -1 : 1;
}

export function cursorOf(event: { transactionId: string; globalPosition: number }): LogCursor {
  return { transactionId: event.transactionId, position: event.globalPosition };
}

/**
 * Checks that events are in global-log order, each stream's versions rising by one from where it
 * was; returns the first problem found. Used by tests and handy when debugging a relay.
 */
export function findOrderViolation(
  events: readonly { streamId: string; streamVersion: number; transactionId: string; globalPosition: number }[],
  startVersions: ReadonlyMap<string, number> = new Map(),
): string | undefined {
  const versions = new Map(startVersions);
  let previous: LogCursor | undefined;
  for (const event of events) {
    const cursor = cursorOf(event);
    if (previous && compareCursors(previous, cursor) >= 0) {
      return `event at ${cursor.transactionId}/${cursor.position} does not come after ${previous.transactionId}/${previous.position}`;
    }
    previous = cursor;
    const expected = (versions.get(event.streamId) ?? 0) + 1;
    if (event.streamVersion !== expected) {
      return `stream ${event.streamId}: version ${event.streamVersion} where ${expected} was due`;
    }
    versions.set(event.streamId, event.streamVersion);
  }
  return undefined;
}
