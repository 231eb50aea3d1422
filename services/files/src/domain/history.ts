/*
 * Time travel, purely: an entity's state as of a moment is the fold, with the aggregate's own
 * evolve, of its stream's events up to that moment. Any event type the aggregate learns later is
 * folded by the same evolve, so the past is told by the code that tells the present.
 *
 * An event takes effect at the moment it occurred, but never before the event before it in its
 * stream: two replicas' clocks may disagree by a little, and a stream's states follow its order.
 * So the state as of T is the fold of the stream's longest prefix whose events all occurred at
 * or before T.
 */

export interface Timed {
  occurredAt: Date;
}

/** A state and the moment from which it holds. */
export interface Dated<S> {
  state: S;
  validFrom: Date;
}

/** The state after one more event of the stream, and from when it holds. */
export function advance<S, E extends Timed>(evolve: (state: S, event: E) => S, initial: S, previous: Dated<S> | undefined, event: E): Dated<S> {
  const validFrom = previous && previous.validFrom > event.occurredAt ? previous.validFrom : event.occurredAt;
  return { state: evolve(previous?.state ?? initial, event), validFrom };
}

/** The state of one stream as of `asOf` (`initial` when nothing had happened yet). */
export function stateAsOf<S, E extends Timed>(evolve: (state: S, event: E) => S, initial: S, events: readonly E[], asOf: Date): S {
  let state = initial;
  for (const event of events) {
    if (event.occurredAt > asOf) break;
    state = evolve(state, event);
  }
  return state;
}

/** A folder restored to a moment when it did not exist, or was in the trash. */
export class NotThenError extends Error {
  constructor() {
    super('the folder was not in the drive at that moment');
    this.name = 'NotThenError';
  }
}
