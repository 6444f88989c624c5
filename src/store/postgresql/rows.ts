/** @module Row shapes of the PostgreSQL store and their mapping to domain objects. */
import type {
  Diagnosis,
  ErrorEvent,
  FingerprintStrategy,
  Language,
  Signature,
  StackFrame,
} from '../../domain/index.js';
import { isSignatureStatus, RoundsError } from '../../domain/index.js';
import { type SignatureStateColumns, withState } from '../shared/signature-state.js';

/** A `signatures` row with its frames; arrays arrive as string[], BIGINTs as numbers (see database.ts). */
export interface SignatureRow {
  id: string;
  fingerprint: string;
  config_id: string;
  strategy: string;
  error_type: string;
  service: string;
  message_template: string;
  stack_hash: string | null;
  language: string;
  frames: string;
  first_seen: number;
  last_seen: number;
  occurrence_count: number;
  status: string;
  tags: string[];
  services: string[];
  versions: string[];
  first_version: string | null;
  environments: string[];
  created_at: number;
  updated_at: number;
}

/** A row read with SIGNATURE_COLUMNS: lifecycle, queue state and the current diagnosis too. */
export interface SignatureReadRow extends SignatureRow, SignatureStateColumns {
  diagnosis: string | null;
  last_failure_at: number | null;
}

/** Column list for reads of `signatures s` joined with SIGNATURE_JOINS. */
export const SIGNATURE_COLUMNS = `s.id, s.fingerprint, s.config_id, s.strategy, s.error_type, s.service,
  s.message_template, s.stack_hash, s.language, f.frames, s.first_seen, s.last_seen, s.occurrence_count, s.status,
  s.tags, s.services, s.versions, s.first_version, s.environments, s.created_at, s.updated_at, d.diagnosis,
  s.resolved_at, s.resolved_in_version, s.muted_at, s.mute_reason, s.mute_until, s.mute_occurrences_left, s.triage,
  s.attempts, s.last_error, s.last_failure_at, s.next_attempt_at`;

export const SIGNATURE_JOINS = `JOIN signature_frames f ON f.signature_id = s.id
  LEFT JOIN diagnoses d ON d.id = s.current_diagnosis_id`;

export function toSignature(row: SignatureRow, diagnosisJson: string | null = null): Signature {
  if (!isSignatureStatus(row.status)) {
    throw new RoundsError('ROUNDS_STORE_UNAVAILABLE', `signature ${row.id} has an unknown status "${row.status}"`);
  }
  const signature: Signature = {
    id: row.id,
    fingerprint: row.fingerprint,
    configId: row.config_id,
    strategy: row.strategy as FingerprintStrategy,
    errorType: row.error_type,
    service: row.service,
    services: row.services,
    messageTemplate: row.message_template,
    language: row.language as Language,
    frames: JSON.parse(row.frames) as StackFrame[],
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    occurrenceCount: row.occurrence_count,
    status: row.status,
    tags: row.tags,
    versions: row.versions,
    environments: row.environments,
  };
  // Optional fields are left out rather than set to undefined, so stored and fresh objects compare equal.
  if (row.stack_hash !== null) signature.stackHash = row.stack_hash;
  if (row.first_version !== null) signature.firstVersion = row.first_version;
  if (diagnosisJson !== null) signature.diagnosis = JSON.parse(diagnosisJson) as Diagnosis;
  return signature;
}

export function readSignature(row: SignatureReadRow): Signature {
  return withState(toSignature(row, row.diagnosis), row);
}

export function parseEvent(json: string): ErrorEvent {
  return JSON.parse(json) as ErrorEvent;
}

export function parseDiagnosis(json: string): Diagnosis {
  return JSON.parse(json) as Diagnosis;
}

/** Sorted, de-duplicated: the same set always has the same order, whatever order it arrived in. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Start of the UTC hour containing `ms`. */
export function hourStart(ms: number): number {
  return Math.floor(ms / 3_600_000) * 3_600_000;
}

/**
 * PostgreSQL text cannot hold NUL characters, which SQLite (and telemetry) can; they become U+FFFD in plain text
 * columns. JSON documents need no such care: JSON.stringify escapes control characters.
 */
export function pgText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}

export function pgTextOrNull(value: string | undefined | null): string | null {
  return value === undefined || value === null ? null : pgText(value);
}
