import { FileEventTypes } from '@strata/contracts';
import { type FileEvent, type FileState, type FileVersion, type Tier, evolveFile, initialFileState } from './file/file.js';

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

/** A version as it was at a moment: its content, name and origin, and its blob's tier then. */
export interface VersionThen extends FileVersion {
  tier: Tier;
}

/**
 * A file's versions as of `asOf`, oldest first (empty when it did not exist yet): the versions
 * from the file's own evolve, over the same prefix of its stream as `stateAsOf`, and beside them
 * each version's tier as the `versions` read model keeps it (a version is written hot; a restored
 * one shares the tier of the blob it restored; a tier change moves every version, an archived one
 * only to the archive; a rehydration brings the archived ones back hot).
 */
export function versionsAsOf(events: readonly (FileEvent & Timed)[], asOf: Date): VersionThen[] {
  const tiers = new Map<number, Tier>();
  const evolve = (state: FileState, event: FileEvent & Timed): FileState => {
    switch (event.type) {
      case FileEventTypes.FileUploaded:
      case FileEventTypes.FileVersionAdded:
        tiers.set(event.data.version, 'Hot');
        break;
      case FileEventTypes.FileVersionRestored:
        tiers.set(event.data.version, tiers.get(event.data.restoredFrom) ?? 'Hot');
        break;
      case FileEventTypes.FileTierChanged:
        for (const [n, tier] of tiers) if (event.data.to === 'Archive' || tier !== 'Archive') tiers.set(n, event.data.to);
        break;
      case FileEventTypes.FileRehydrated:
        for (const [n, tier] of tiers) if (tier === 'Archive') tiers.set(n, 'Hot');
        break;
      default:
        break;
    }
    return evolveFile(state, event);
  };
  const state = stateAsOf(evolve, initialFileState, events, asOf);
  return state.status === 'none' ? [] : state.versions.map((v) => ({ ...v, tier: tiers.get(v.version) ?? 'Hot' }));
}
