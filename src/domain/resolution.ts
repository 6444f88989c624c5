/** @module Resolve and mute: what a person decided about a signature, and when that decision stops holding. */
import { isAtOrAfter } from './versions.js';

export interface Resolution {
  readonly resolvedAt: number;
  /** The release the fix shipped in; occurrences from older releases (straggling pods) do not regress it. */
  readonly inVersion?: string;
}

export interface Mute {
  readonly mutedAt: number;
  readonly reason?: string;
  /** The mute ends at this time (ms since the epoch). */
  readonly until?: number;
  /** The mute ends after this many further occurrences. */
  readonly remainingOccurrences?: number;
}

/** Whether occurrences in these versions reopen a resolved signature. `knownVersions`: as seen before them. */
export function regresses(
  resolution: Resolution | undefined,
  occurrenceVersions: readonly (string | undefined)[],
  knownVersions: readonly string[],
): boolean {
  const fixedIn = resolution?.inVersion;
  if (fixedIn === undefined) return occurrenceVersions.length > 0;
  return occurrenceVersions.some((version) => isAtOrAfter(version, fixedIn, knownVersions));
}

export interface MuteAfterOccurrences {
  /** The mute no longer holds. */
  readonly expired: boolean;
  /** The occurrence allowance left, when the mute counts occurrences. */
  readonly remainingOccurrences?: number;
}

/** Applies `count` new occurrences at `now` to a mute. */
export function muteAfter(mute: Mute, count: number, now: number): MuteAfterOccurrences {
  const remaining =
    mute.remainingOccurrences === undefined ? undefined : Math.max(0, mute.remainingOccurrences - count);
  const expired = (mute.until !== undefined && now >= mute.until) || remaining === 0;
  return remaining === undefined ? { expired } : { expired, remainingOccurrences: remaining };
}
