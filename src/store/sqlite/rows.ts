/** @module Row shapes of the SQLite store and their mapping to and from domain objects. */
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

/** A `signatures` row with its `signature_frames.frames`; JSON columns hold their serialised text. */
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
  tags: string;
  services: string;
  versions: string;
  first_version: string | null;
  environments: string;
  created_at: number;
  updated_at: number;
}

/** A `signatures` row joined with the JSON of its current diagnosis. */
export interface SignatureReadRow extends SignatureRow, SignatureStateColumns {
  diagnosis: string | null;
}

/** Column list for reads; keeps the queue columns (claimed_by, ...) out of the domain mapping. */
export const SIGNATURE_COLUMNS = `s.id, s.fingerprint, s.config_id, s.strategy, s.error_type, s.service, s.message_template,
  s.stack_hash, s.language, f.frames AS frames, s.first_seen, s.last_seen, s.occurrence_count, s.status, s.tags, s.services,
  s.versions, s.first_version, s.environments, s.created_at, s.updated_at, d.diagnosis AS diagnosis,
  s.resolved_at, s.resolved_in_version, s.muted_at, s.mute_reason, s.mute_until, s.mute_occurrences_left, s.triage,
  s.attempts, s.last_error, s.next_attempt_at`;

/** What SIGNATURE_COLUMNS needs joined to `signatures s`. */
export const SIGNATURE_JOINS = `JOIN signature_frames f ON f.signature_id = s.id
  LEFT JOIN diagnoses d ON d.id = s.current_diagnosis_id`;

export const SIGNATURE_FROM = `signatures s ${SIGNATURE_JOINS}`;

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
    services: parseStrings(row.services),
    messageTemplate: row.message_template,
    language: row.language as Language,
    frames: JSON.parse(row.frames) as StackFrame[],
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    occurrenceCount: row.occurrence_count,
    status: row.status,
    tags: parseStrings(row.tags),
    versions: parseStrings(row.versions),
    environments: parseStrings(row.environments),
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

export function parseStrings(json: string): string[] {
  return JSON.parse(json) as string[];
}

export function parseEvent(json: string): ErrorEvent {
  return JSON.parse(json) as ErrorEvent;
}

export function parseDiagnosis(json: string): Diagnosis {
  return JSON.parse(json) as Diagnosis;
}

/** Sorted, de-duplicated: the same set always serialises to the same text, whatever order it arrived in. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Start of the UTC hour containing `ms`. */
export function hourStart(ms: number): number {
  return Math.floor(ms / 3_600_000) * 3_600_000;
}
