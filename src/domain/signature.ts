/** @module Signature: a class of errors that share one fingerprint. */
import type { Diagnosis } from './diagnosis.js';
import type { Language, StackFrame } from './error-event.js';
import type { SignatureStatus } from './lifecycle.js';
import type { Mute, Resolution } from './resolution.js';
import type { TriageDecision } from './triage.js';

/** How the fingerprint was built; the more specific strategies win when their inputs exist. */
export type FingerprintStrategy =
  | 'exception-in-app'
  | 'exception-all-frames'
  | 'exception-message'
  | 'semconv'
  | 'message';

export interface Fingerprint {
  /** Hex SHA-256 of the contributing components; stable across processes, machines and Rounds versions. */
  hash: string;
  /** Id of the fingerprint configuration that produced the hash (e.g. `fp:2026-11-29`). */
  configId: string;
  strategy: FingerprintStrategy;
  errorType: string;
  messageTemplate: string;
  language: Language;
  /** Parsed frames of the root-cause exception (last of the chain with frames), innermost last, each marked in-app or not. */
  frames: StackFrame[];
  /** Which values went into the hash and why the others did not. */
  components: FingerprintComponent[];
  /** Short hash of the stack values alone, when a stack contributed: groups one crash site across messages. */
  stackHash?: string;
}

export interface FingerprintComponent {
  name: string;
  contributes: boolean;
  values: string[];
  /** Why this component did or did not count. */
  hint?: string;
}

export interface Signature {
  /** Derived from the fingerprint hash, so every instance computes the same id without coordination. */
  id: string;
  fingerprint: string;
  configId: string;
  strategy: FingerprintStrategy;
  errorType: string;
  /** The service the signature was first seen in. */
  service: string;
  services: string[];
  messageTemplate: string;
  /** Hash of the normalised frames that contributed, when any did. */
  stackHash?: string;
  language: Language;
  frames: StackFrame[];
  firstSeen: number;
  lastSeen: number;
  occurrenceCount: number;
  status: SignatureStatus;
  tags: string[];
  /** `service.version` values seen, oldest first. */
  versions: string[];
  firstVersion?: string;
  environments: string[];
  diagnosis?: Diagnosis;
  /** Set while the status is `resolved` (and kept through a regression, to show what was resolved). */
  resolution?: Resolution;
  /** Set while the status is `muted`. */
  mute?: Mute;
  /** The latest triage decision: why the signature is or is not queued for a diagnosis. */
  triage?: TriageDecision;
  /** Diagnosis work state, when an attempt has failed. */
  investigation?: InvestigationState;
}

export interface InvestigationState {
  /** Failed attempts since the last successful diagnosis. */
  attempts: number;
  lastError?: string;
  /** No new attempt before this time (exponential backoff). */
  nextAttemptAt?: number;
}

/** Prefix plus the first 16 hex digits of the fingerprint hash: short, stable, collision-safe at our scale. */
export function signatureIdFor(fingerprintHash: string): string {
  return `sig_${fingerprintHash.slice(0, 16)}`;
}
