/** @module How busy a signature is, from its hourly counts: the facts triage weighs. Shared by every store. Pure. */

const HOUR_MS = 3_600_000;
/** The window a signature's usual hourly rate is measured over. */
export const BASELINE_WINDOW_MS = 7 * 24 * HOUR_MS;

function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/**
 * Last hour: the current hour's bucket plus the share of the previous bucket that falls within 60 minutes of
 * `now` (hourly buckets are all the store keeps). Baseline: the mean per hour over the window before that,
 * counted from when the signature was first seen, so a young signature is not diluted by hours it did not exist.
 */
export function rates(
  counts: readonly { hourStart: number; count: number }[],
  firstSeen: number,
  now: number,
): { lastHourCount: number; baselinePerHour: number } {
  const current = hourStart(now);
  const previous = current - HOUR_MS;
  const previousShare = 1 - (now - current) / HOUR_MS;
  let lastHour = 0;
  let baselineTotal = 0;
  for (const { hourStart: start, count } of counts) {
    if (start >= current) lastHour += count;
    else if (start === previous) lastHour += count * previousShare;
    else baselineTotal += count;
  }
  const windowStart = Math.max(hourStart(now - BASELINE_WINDOW_MS), hourStart(firstSeen));
  const baselineHours = Math.max(1, (previous - windowStart) / HOUR_MS);
  return { lastHourCount: Math.round(lastHour), baselinePerHour: baselineTotal / baselineHours };
}
