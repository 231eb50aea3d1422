import { FORBIDDEN_CHARACTERS } from './names.js';

/** Longest version label, in characters: a short name ("signed", "sent to the printer"), not a note. */
export const MAX_LABEL_LENGTH = 100;

export class InvalidLabelError extends Error {
  constructor(readonly reason: string) {
    super(`invalid version label: ${reason}`);
    this.name = 'InvalidLabelError';
  }
}

/** A version's label as stored: NFC, 1 to 100 characters, no control or text-direction characters, no white space at either end. */
export function validateLabel(raw: string): string {
  const label = raw.normalize('NFC');
  if (label.trim().length === 0) throw new InvalidLabelError('the label is empty (send null to take a label away)');
  if ([...label].length > MAX_LABEL_LENGTH) throw new InvalidLabelError(`the label is longer than ${MAX_LABEL_LENGTH} characters`);
  if (FORBIDDEN_CHARACTERS.test(label)) throw new InvalidLabelError('the label holds a control or text-direction character');
  if (label !== label.trim()) throw new InvalidLabelError('the label starts or ends with white space');
  return label;
}

/**
 * A user's retention policy for old versions. A version is deleted when it is outside both the
 * kept ones: not among the last `keepLast` (the current one counts) and older than `keepDays`
 * (an absent rule keeps nothing by itself; no rule at all keeps every version). Named versions
 * and the current one are always kept.
 */
export interface RetentionPolicy {
  keepLast: number | null;
  keepDays: number | null;
}

export const RETENTION_LIMITS = { keepLast: { min: 1, max: 1000 }, keepDays: { min: 1, max: 3650 } } as const;

const DAY_MS = 86_400_000;

/** The versions a policy lets go at `now`, oldest first, from a file's versions (oldest first, the current last). */
export function versionsToDrop(versions: readonly { version: number; label: string | null; createdAt: string }[], policy: RetentionPolicy, now: Date): number[] {
  if (policy.keepLast === null && policy.keepDays === null) return [];
  const current = versions.at(-1)?.version;
  return versions
    .filter((v, i) => {
      if (v.version === current || v.label !== null) return false;
      const recent = policy.keepLast !== null && versions.length - i <= policy.keepLast;
      const young = policy.keepDays !== null && now.getTime() - new Date(v.createdAt).getTime() < policy.keepDays * DAY_MS;
      return !recent && !young;
    })
    .map((v) => v.version);
}
