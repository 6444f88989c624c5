/** @module SqliteSignatureStore: the SignatureStore port on an embedded SQLite file, for single-node deployments. */
import type {
  Diagnosis,
  ErrorEvent,
  Mute,
  Signature,
  SignatureStatus,
  TraceSnapshot,
  TriageDecision,
} from '../../domain/index.js';
import { RoundsError, transition } from '../../domain/index.js';
import type {
  CostEntry,
  FingerprintedEvent,
  HourlyCount,
  InvestigationClaim,
  InvestigationFailure,
  NotificationKind,
  NotificationRecord,
  PendingNotification,
  SignatureQuery,
  SignatureStore,
  StoreIngestResult,
  TriageBasis,
  TriageCandidate,
} from '../../ports/index.js';
import { SqliteIngester } from './ingest.js';
import { isTransient, openDatabase } from './open.js';
import { hourStart, parseDiagnosis, parseEvent, readSignature, sortedUnique } from './rows.js';
import { filterKey, listParams, Prepared, toNotification } from './statements.js';
import { SqliteWorkflow } from './workflow.js';

export interface SqliteSignatureStoreOptions {
  /** A file path (its directory is created if missing) or ':memory:'. */
  readonly path: string;
  /** Samples kept per signature; default 20. */
  readonly maxSamplesPerSignature?: number;
  /** Samples one batch may add per signature; default 5. */
  readonly maxSamplesPerBatch?: number;
  /** Once a signature holds its quota, the least time between two new samples; default 60000. */
  readonly sampleSpacingMs?: number;
  /** How long a write waits for another connection's lock before failing retryably; default 5000. */
  readonly busyTimeoutMs?: number;
}

export class SqliteSignatureStore implements SignatureStore {
  readonly kind = 'sqlite' as const;
  private readonly path: string;
  private readonly maxSamplesPerSignature: number;
  private readonly maxSamplesPerBatch: number;
  private readonly sampleSpacingMs: number;
  private readonly busyTimeoutMs: number;
  private prepared: Prepared | undefined;
  private workflow: SqliteWorkflow | undefined;

  constructor(options: SqliteSignatureStoreOptions) {
    this.path = options.path;
    this.maxSamplesPerSignature = options.maxSamplesPerSignature ?? 20;
    this.maxSamplesPerBatch = options.maxSamplesPerBatch ?? 5;
    this.sampleSpacingMs = options.sampleSpacingMs ?? 60_000;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  }

  async open(): Promise<void> {
    if (this.prepared) return;
    const db = openDatabase(this.path, this.busyTimeoutMs);
    try {
      const limits = {
        maxSamplesPerSignature: this.maxSamplesPerSignature,
        maxSamplesPerBatch: this.maxSamplesPerBatch,
        sampleSpacingMs: this.sampleSpacingMs,
      };
      const prepared = new Prepared(db, new SqliteIngester(db, limits));
      this.workflow = new SqliteWorkflow(db, prepared);
      this.prepared = prepared;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const prepared = this.prepared;
    this.prepared = undefined;
    this.workflow = undefined;
    prepared?.db.close();
  }

  async ingest(events: readonly FingerprintedEvent[]): Promise<StoreIngestResult> {
    const p = this.ready();
    if (events.length === 0) {
      return { created: [], updated: [], duplicates: 0, accepted: 0, sampledTraceIds: [], regressed: [], unmuted: [] };
    }
    return this.guard(() => p.ingest(events, Date.now()));
  }

  async getSignature(id: string): Promise<Signature | undefined> {
    const row = this.guard(() => this.ready().get.get(id));
    return row && readSignature(row);
  }

  async listSignatures(query: SignatureQuery = {}): Promise<Signature[]> {
    const p = this.ready();
    const key = `${filterKey(query.status !== undefined, query.service !== undefined)}|${query.orderBy ?? 'last_seen'}`;
    const stmt = p.list.get(key);
    if (!stmt) throw new RoundsError('ROUNDS_INVALID_INPUT', `cannot order signatures by "${query.orderBy}"`);
    return this.guard(() => stmt.all(listParams(query)).map(readSignature));
  }

  async countSignatures(query: Pick<SignatureQuery, 'status' | 'service'> = {}): Promise<number> {
    const stmt = this.ready().count.get(filterKey(query.status !== undefined, query.service !== undefined))!;
    return this.guard(() => stmt.get(listParams(query)) ?? 0);
  }

  async listSamples(signatureId: string, limit = this.maxSamplesPerSignature): Promise<ErrorEvent[]> {
    return this.guard(() => this.ready().samples.all(signatureId, limit).map(parseEvent));
  }

  /** Counts per UTC hour, oldest first, including the hour that contains `sinceMs`. */
  async hourlyCounts(signatureId: string, sinceMs: number): Promise<HourlyCount[]> {
    return this.guard(() => this.ready().hours.all(signatureId, hourStart(sinceMs)));
  }

  async resolve(signatureId: string, options: { at: number; inVersion?: string }): Promise<Signature> {
    return this.guard(() => this.flow().resolve(signatureId, options.at, options.inVersion));
  }

  async mute(signatureId: string, mute: Mute): Promise<Signature> {
    return this.guard(() => this.flow().mute(signatureId, mute));
  }

  async unmute(signatureId: string, at: number): Promise<Signature> {
    return this.guard(() => this.flow().unmute(signatureId, at));
  }

  async resetDiagnosis(signatureId: string, at: number): Promise<Signature> {
    return this.guard(() => this.flow().reset(signatureId, at));
  }

  async expireMutes(now: number): Promise<string[]> {
    return this.guard(() => this.flow().expireMutes(now));
  }

  async listTriageCandidates(seenSinceMs: number, now: number, limit: number): Promise<TriageCandidate[]> {
    return this.guard(() => this.flow().triageCandidates(seenSinceMs, now, limit));
  }

  async recordTriage(signatureId: string, decision: TriageDecision, basis?: TriageBasis): Promise<boolean> {
    return this.guard(() => this.flow().recordTriage(signatureId, decision, basis));
  }

  async listTriageHistory(signatureId: string, limit = 20): Promise<TriageDecision[]> {
    return this.guard(() => this.flow().triageHistory(signatureId, limit));
  }

  async claimInvestigation(workerId: string, now: number, leaseMs: number): Promise<InvestigationClaim | undefined> {
    return this.guard(() => this.flow().claim(workerId, now, leaseMs));
  }

  async claimSignature(
    signatureId: string,
    workerId: string,
    now: number,
    leaseMs: number,
  ): Promise<InvestigationClaim | undefined> {
    return this.guard(() => this.flow().claimOne(signatureId, workerId, now, leaseMs));
  }

  async listSamplesInTraces(traceIds: readonly string[], limit: number): Promise<ErrorEvent[]> {
    return this.guard(() => this.flow().samplesInTraces(traceIds, limit));
  }

  async renewInvestigation(signatureId: string, workerId: string, leaseUntil: number): Promise<boolean> {
    return this.guard(() => this.flow().renew(signatureId, workerId, leaseUntil));
  }

  async completeInvestigation(signatureId: string, workerId: string, diagnosis: Diagnosis): Promise<Signature> {
    return this.guard(() => this.flow().complete(signatureId, workerId, diagnosis, Date.now()));
  }

  async failInvestigation(signatureId: string, workerId: string, failure: InvestigationFailure): Promise<void> {
    this.guard(() => this.flow().fail(signatureId, workerId, failure));
  }

  async enqueueNotification(item: {
    signatureId: string;
    kind: NotificationKind;
    key: string;
    at: number;
  }): Promise<boolean> {
    return this.guard(() => this.flow().enqueue(item.signatureId, item.kind, item.key, item.at));
  }

  async claimNotifications(now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    return this.guard(() => this.flow().claimNotifications(now, leaseMs, limit));
  }

  async finishNotification(id: number): Promise<void> {
    this.guard(() => this.flow().finishNotification(id));
  }

  async deferNotification(id: number, retry: { nextAttemptAt: number; error: string }): Promise<void> {
    this.guard(() => this.flow().deferNotification(id, retry.nextAttemptAt, retry.error));
  }

  async countPendingNotifications(): Promise<number> {
    return this.guard(() => this.flow().countPendingNotifications());
  }

  async setStatus(signatureId: string, to: SignatureStatus): Promise<Signature> {
    const p = this.ready();
    return this.guard(() =>
      p.db.transaction(() => {
        const from = p.require(signatureId).status;
        p.setStatus.run(transition(from, to), Date.now(), signatureId);
        return p.require(signatureId);
      })(),
    );
  }

  async setTags(signatureId: string, tags: readonly string[]): Promise<Signature> {
    const p = this.ready();
    return this.guard(() =>
      p.db.transaction(() => {
        p.require(signatureId);
        p.setTags.run(JSON.stringify(sortedUnique(tags)), Date.now(), signatureId);
        return p.require(signatureId);
      })(),
    );
  }

  /** The diagnosis added last becomes current, even if an older `diagnosedAt` makes it sort lower in the history. */
  async addDiagnosis(signatureId: string, diagnosis: Diagnosis): Promise<void> {
    const p = this.ready();
    this.guard(() =>
      p.db.transaction(() => {
        p.require(signatureId);
        const { lastInsertRowid } = p.insertDiagnosis.run(
          signatureId,
          JSON.stringify(diagnosis),
          diagnosis.diagnosedAt,
          diagnosis.engine,
          diagnosis.confidence,
        );
        p.setCurrentDiagnosis.run(lastInsertRowid, Date.now(), signatureId);
      })(),
    );
  }

  async listDiagnoses(signatureId: string): Promise<Diagnosis[]> {
    return this.guard(() => this.ready().diagnoses.all(signatureId).map(parseDiagnosis));
  }

  async recordCost(entry: CostEntry): Promise<void> {
    const p = this.ready();
    this.guard(() =>
      p.insertCost.run(entry.signatureId ?? null, entry.engine, entry.model, entry.costUsd, entry.outcome, entry.at),
    );
  }

  async costSince(sinceMs: number): Promise<number> {
    return this.guard(() => this.ready().costSince.get(sinceMs) ?? 0);
  }

  async recordNotification(record: NotificationRecord): Promise<boolean> {
    const p = this.ready();
    return this.guard(() =>
      p.db.transaction(() => {
        p.require(record.signatureId);
        const { signatureId, channel, key, externalRef, at } = record;
        return p.insertNotification.run(signatureId, channel, key, externalRef ?? null, at).changes > 0;
      })(),
    );
  }

  async listNotifications(signatureId: string): Promise<NotificationRecord[]> {
    return this.guard(() => this.ready().notifications.all(signatureId).map(toNotification));
  }

  /** Forgets eventIds first counted before `olderThanMs`; an eventId seen again after that counts again. */
  async pruneSeenEvents(olderThanMs: number): Promise<number> {
    return this.guard(() => this.ready().prune.run(olderThanMs).changes);
  }

  async saveTraceSnapshots(snapshots: readonly TraceSnapshot[]): Promise<number> {
    const p = this.ready();
    if (snapshots.length === 0) return 0;
    return this.guard(() => p.traces.save(snapshots));
  }

  async getTraceSnapshot(traceId: string): Promise<TraceSnapshot | undefined> {
    return this.guard(() => this.ready().traces.get(traceId));
  }

  private ready(): Prepared {
    if (!this.prepared) {
      throw new RoundsError('ROUNDS_STORE_UNAVAILABLE', `the SQLite store at "${this.path}" is not open`);
    }
    return this.prepared;
  }

  private flow(): SqliteWorkflow {
    this.ready();
    return this.workflow!;
  }

  /** Turns lock contention and I/O failures into a retryable domain error; everything else passes through. */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (!isTransient(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new RoundsError('ROUNDS_STORE_UNAVAILABLE', `the SQLite store at "${this.path}" failed: ${reason}`, {
        retryable: true,
        cause: error,
      });
    }
  }
}
