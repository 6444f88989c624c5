/** @module SqliteSignatureStore: the SignatureStore port on an embedded SQLite file, for single-node deployments. */
import type { Diagnosis, ErrorEvent, Signature, SignatureStatus, TraceSnapshot } from '../../domain/index.js';
import { RoundsError, transition } from '../../domain/index.js';
import type {
  CostEntry,
  FingerprintedEvent,
  HourlyCount,
  NotificationRecord,
  SignatureQuery,
  SignatureStore,
  StoreIngestResult,
} from '../../ports/index.js';
import { SqliteIngester } from './ingest.js';
import { isTransient, openDatabase } from './open.js';
import { hourStart, parseDiagnosis, parseEvent, readSignature, sortedUnique } from './rows.js';
import { filterKey, listParams, Prepared, toNotification } from './statements.js';

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
      this.prepared = new Prepared(db, new SqliteIngester(db, limits));
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const prepared = this.prepared;
    this.prepared = undefined;
    prepared?.db.close();
  }

  async ingest(events: readonly FingerprintedEvent[]): Promise<StoreIngestResult> {
    const p = this.ready();
    if (events.length === 0) return { created: [], updated: [], duplicates: 0, accepted: 0, sampledTraceIds: [] };
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
