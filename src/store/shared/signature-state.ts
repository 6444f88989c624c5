/** @module The lifecycle and queue columns every store keeps, and how they become a Signature's optional parts. */
import type { Signature, TriageDecision } from '../../domain/index.js';

/** Column names are the same in SQLite and PostgreSQL (migration 3 of each). */
export interface SignatureStateColumns {
  resolved_at: number | null;
  resolved_in_version: string | null;
  muted_at: number | null;
  mute_reason: string | null;
  mute_until: number | null;
  mute_occurrences_left: number | null;
  triage: string | null;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number | null;
}

/** Adds resolution, mute, triage and investigation to `signature` (in place) and returns it. */
export function withState(signature: Signature, row: SignatureStateColumns): Signature {
  if (row.resolved_at !== null) {
    signature.resolution = {
      resolvedAt: row.resolved_at,
      ...(row.resolved_in_version === null ? {} : { inVersion: row.resolved_in_version }),
    };
  }
  if (row.muted_at !== null) {
    signature.mute = {
      mutedAt: row.muted_at,
      ...(row.mute_reason === null ? {} : { reason: row.mute_reason }),
      ...(row.mute_until === null ? {} : { until: row.mute_until }),
      ...(row.mute_occurrences_left === null ? {} : { remainingOccurrences: row.mute_occurrences_left }),
    };
  }
  if (row.triage !== null) signature.triage = JSON.parse(row.triage) as TriageDecision;
  if (row.attempts > 0) {
    signature.investigation = {
      attempts: row.attempts,
      ...(row.last_error === null ? {} : { lastError: row.last_error }),
      ...(row.next_attempt_at === null ? {} : { nextAttemptAt: row.next_attempt_at }),
    };
  }
  return signature;
}
