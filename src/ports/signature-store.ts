/** @module SignatureStore: the durable home of signatures, samples, counts, diagnoses, costs and notifications. */
import type {
  Diagnosis,
  ErrorEvent,
  Fingerprint,
  Mute,
  Signature,
  SignatureStatus,
  TraceSnapshot,
  TriageDecision,
  TriageFacts,
} from '../domain/index.js';
import type { NotificationKind } from './notifier.js';

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
  /** Resolved signatures this batch reopened (a regression report is queued with them). */
  readonly regressed: string[];
  /** Muted signatures whose mute this batch ended. */
  readonly unmuted: string[];
}

/** A signature worth a triage decision, with the facts triage needs. */
export interface TriageCandidate {
  readonly signature: Signature;
  readonly facts: TriageFacts;
}

/** The state a triage decision was made on: the status and the time of the current diagnosis, if any. */
export interface TriageBasis {
  readonly status: SignatureStatus;
  readonly lastDiagnosisAt?: number;
}

/** A signature claimed for diagnosis by one worker until `leaseUntil`. */
export interface InvestigationClaim {
  readonly signature: Signature;
  readonly workerId: string;
  readonly leaseUntil: number;
  /** Failed attempts before this one. */
  readonly attempts: number;
}

export interface InvestigationFailure {
  readonly error: string;
  readonly at: number;
  /** No new attempt before this time. */
  readonly nextAttemptAt: number;
  /** Take it off the queue (attempts exhausted); triage may queue it again after the cooldown. */
  readonly giveUp: boolean;
  /** False when the attempt was cut short by a shutdown rather than failing: the claim is released, not counted. */
  readonly countsAsAttempt?: boolean;
}

/** A report waiting in the outbox, claimed by one dispatcher until `claimedUntil`. */
export interface PendingNotification {
  readonly id: number;
  readonly signatureId: string;
  readonly kind: NotificationKind;
  /** What makes this report distinct from earlier ones of the same kind (a time, a diagnosis time). */
  readonly key: string;
  readonly createdAt: number;
  readonly attempts: number;
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
  /** Sample events of any signature in these traces, newest first: what else went wrong in the same requests. */
  listSamplesInTraces(traceIds: readonly string[], limit: number): Promise<ErrorEvent[]>;

  /**
   * Resolves a signature (from any status but `resolved`), optionally in a release: later occurrences from that
   * release or newer regress it, older ones do not. Queues a `resolved` report. Ends any mute or claim.
   */
  resolve(signatureId: string, options: { at: number; inVersion?: string }): Promise<Signature>;
  /** Mutes a signature (from any status but `muted`); the mute ends at `until` or after the occurrence allowance. */
  mute(signatureId: string, mute: Mute): Promise<Signature>;
  /** Ends a mute now: back to `new`, and triage decides again. */
  unmute(signatureId: string, at: number): Promise<Signature>;
  /**
   * Forgets the current diagnosis (the history keeps it) and puts the signature back to `new` with no failed
   * attempts, so triage decides about it afresh. Refused while a live claim is diagnosing it.
   */
  resetDiagnosis(signatureId: string, at: number): Promise<Signature>;
  /** Ends mutes whose time is up, without waiting for an occurrence; returns their ids. */
  expireMutes(now: number): Promise<string[]>;

  /** Signatures seen at or after `seenSinceMs` (or regressed) that triage should look at, with their facts. */
  listTriageCandidates(seenSinceMs: number, now: number, limit: number): Promise<TriageCandidate[]>;
  /**
   * Stores the decision on the signature and queues or unqueues it; history grows only when the outcome changes.
   * With a `basis`, a decision made on a state that has changed since (another instance diagnosed it meanwhile)
   * is dropped and false returned: acting on it could queue a second diagnosis.
   */
  recordTriage(signatureId: string, decision: TriageDecision, basis?: TriageBasis): Promise<boolean>;
  /** Past triage decisions, newest first. */
  listTriageHistory(signatureId: string, limit?: number): Promise<TriageDecision[]>;

  /**
   * Atomically claims the highest-priority queued signature that is due and not leased by a live worker (an
   * expired lease counts as free), moving it to `investigating`. Undefined when there is none.
   */
  claimInvestigation(workerId: string, now: number, leaseMs: number): Promise<InvestigationClaim | undefined>;
  /**
   * Claims one signature now, queued or not (`rounds diagnose`): undefined when another worker holds a live lease
   * on it; throws ROUNDS_ILLEGAL_TRANSITION when it is muted or resolved, ROUNDS_NOT_FOUND when unknown.
   */
  claimSignature(
    signatureId: string,
    workerId: string,
    now: number,
    leaseMs: number,
  ): Promise<InvestigationClaim | undefined>;
  /** Extends a lease the worker still holds; false when it lost it (expired and taken by another). */
  renewInvestigation(signatureId: string, workerId: string, leaseUntil: number): Promise<boolean>;
  /**
   * Stores the diagnosis, moves `investigating` to `diagnosed`, clears the claim and queues the `diagnosis`
   * report, in one transaction. Throws ROUNDS_LEASE_LOST (storing nothing) when the worker no longer holds it.
   */
  completeInvestigation(signatureId: string, workerId: string, diagnosis: Diagnosis): Promise<Signature>;
  /** Counts a failed attempt, puts the status back, clears the claim; a no-op when the claim was lost. */
  failInvestigation(signatureId: string, workerId: string, failure: InvestigationFailure): Promise<void>;

  /** Queues a report (once per signature+kind+key); false when it was already queued. */
  enqueueNotification(item: { signatureId: string; kind: NotificationKind; key: string; at: number }): Promise<boolean>;
  /** Claims up to `limit` due reports until `now + leaseMs`, oldest first. */
  claimNotifications(now: number, leaseMs: number, limit: number): Promise<PendingNotification[]>;
  /** Removes a report every channel has. */
  finishNotification(id: number): Promise<void>;
  /** Releases a report some channel failed, to try again at `nextAttemptAt`. */
  deferNotification(id: number, retry: { nextAttemptAt: number; error: string }): Promise<void>;
  /** Reports still waiting, for `rounds status`-style views. */
  countPendingNotifications(): Promise<number>;

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
