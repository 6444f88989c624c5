/** @module SignatureStore: the durable home of signatures, samples, counts, diagnoses, costs and notifications. */
import type { Diagnosis, ErrorEvent, Fingerprint, Signature, SignatureStatus, TraceSnapshot } from '../domain/index.js';

/** An event together with the fingerprint the pipeline computed for it. */
export interface FingerprintedEvent {
  readonly event: ErrorEvent;
  readonly fingerprint: Fingerprint;
}

export interface StoreIngestResult {
  /** Signatures created by this batch, as stored. */
  readonly created: Signature[];
  /** Ids of existing signatures that this batch added occurrences to. */
  readonly updated: string[];
  /** Events whose eventId was already counted (earlier batch, or earlier in this batch). */
  readonly duplicates: number;
  /** Events counted by this batch. */
  readonly accepted: number;
  /** Trace ids of the events this batch kept as samples: the only traces worth a snapshot. */
  readonly sampledTraceIds: string[];
}

export type SignatureOrder = 'last_seen' | 'first_seen' | 'occurrences';

export interface SignatureQuery {
  readonly status?: SignatureStatus;
  readonly service?: string;
  readonly limit?: number;
  readonly offset?: number;
  readonly orderBy?: SignatureOrder;
}

export interface HourlyCount {
  /** Start of the UTC hour, milliseconds since the epoch. */
  readonly hourStart: number;
  readonly count: number;
}

export interface CostEntry {
  readonly signatureId?: string;
  readonly engine: string;
  readonly model: string;
  readonly costUsd: number;
  /** ok, failed or aborted: spend is recorded whatever the outcome. */
  readonly outcome: 'ok' | 'failed' | 'aborted';
  readonly at: number;
}

export interface NotificationRecord {
  readonly signatureId: string;
  readonly channel: string;
  /** What was reported, e.g. `new`, `diagnosis:<diagnosedAt>`, `regression:<n>`; unique per signature+channel. */
  readonly key: string;
  /** The channel's own reference (issue number, file path), when it has one. */
  readonly externalRef?: string;
  readonly at: number;
}

export interface SignatureStore {
  readonly kind: 'sqlite' | 'postgresql';
  /** Opens the store and applies pending migrations. Safe to call once; a failed open leaves nothing open. */
  open(): Promise<void>;
  /** Closes the store. Safe before open() and safe to repeat. */
  close(): Promise<void>;

  /**
   * Counts a batch of events in ONE transaction: creates new signatures, updates existing ones (count,
   * first/last seen, services, versions, environments, hourly counts, bounded samples), ignores eventIds
   * already counted. Either the whole batch is durable when this resolves, or none of it is.
   */
  ingest(events: readonly FingerprintedEvent[]): Promise<StoreIngestResult>;

  getSignature(id: string): Promise<Signature | undefined>;
  listSignatures(query?: SignatureQuery): Promise<Signature[]>;
  countSignatures(query?: Pick<SignatureQuery, 'status' | 'service'>): Promise<number>;
  /** Most recent sample events of a signature, newest first. */
  listSamples(signatureId: string, limit?: number): Promise<ErrorEvent[]>;
  hourlyCounts(signatureId: string, sinceMs: number): Promise<HourlyCount[]>;

  /** Moves a signature to `to`; throws ROUNDS_ILLEGAL_TRANSITION or ROUNDS_NOT_FOUND. Returns the updated row. */
  setStatus(signatureId: string, to: SignatureStatus): Promise<Signature>;
  setTags(signatureId: string, tags: readonly string[]): Promise<Signature>;

  /** Appends to the signature's diagnosis history and makes it the current diagnosis. */
  addDiagnosis(signatureId: string, diagnosis: Diagnosis): Promise<void>;
  listDiagnoses(signatureId: string): Promise<Diagnosis[]>;

  recordCost(entry: CostEntry): Promise<void>;
  /** Total spend recorded at or after `sinceMs`. */
  costSince(sinceMs: number): Promise<number>;

  /** Returns false (and records nothing) when the same signature+channel+key was already recorded. */
  recordNotification(record: NotificationRecord): Promise<boolean>;
  listNotifications(signatureId: string): Promise<NotificationRecord[]>;

  /** Forgets seen eventIds older than `olderThanMs`; returns how many were dropped. */
  pruneSeenEvents(olderThanMs: number): Promise<number>;

  /**
   * Stores the traces around sampled errors, one snapshot per trace id, and returns how many were written
   * (inserted or replaced). A snapshot only lives while a sample event refers to its trace, which bounds them
   * by the sample quota: one whose trace no sample refers to is skipped (nothing could ever read it), and when
   * the last sample of a trace is deleted (trimmed to the quota, or with its signature) its snapshot is deleted
   * in the same transaction, with no periodic sweep. For a trace already stored, a snapshot with more spans
   * replaces it (a later capture includes late spans); one with no more spans is ignored.
   */
  saveTraceSnapshots(snapshots: readonly TraceSnapshot[]): Promise<number>;
  getTraceSnapshot(traceId: string): Promise<TraceSnapshot | undefined>;
}
