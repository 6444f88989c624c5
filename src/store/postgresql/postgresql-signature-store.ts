/** @module PostgresqlSignatureStore: the SignatureStore port on a PostgreSQL database shared by several instances. */
import type {
  Diagnosis,
  ErrorEvent,
  Mute,
  Signature,
  SignatureStatus,
  TraceSnapshot,
  TriageDecision,
} from '../../domain/index.js';
import { RoundsError } from '../../domain/index.js';
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
import { Database, SCHEMA_NAME } from './database.js';
import { PgTarget, toStoreError } from './errors.js';
import { PgIngester } from './ingest.js';
import { migrate } from './migrate.js';
import * as q from './queries.js';
import { hourStart, pgText, pgTextOrNull, sortedUnique } from './rows.js';
import { getTraceSnapshot, saveTraceSnapshots } from './traces.js';
import { lockRow, PgWorkflow } from './workflow.js';

export interface PostgresqlSignatureStoreOptions {
  /** `postgresql://user:password@host:5432/db` (any URL node-postgres accepts). Its password is never shown. */
  readonly url: string;
  /**
   * Schema to keep the tables in (the connections' search_path), created when missing. Lowercase letters, digits
   * and `_`. Default: the server's search_path (normally `public`).
   */
  readonly schema?: string;
  /** Connections in the pool; default 10. */
  readonly poolSize?: number;
  /** How long to wait for a connection (new, or free in the pool) before failing retryably; default 10000. */
  readonly connectTimeoutMs?: number;
  /** Samples kept per signature; default 20. */
  readonly maxSamplesPerSignature?: number;
  /** Samples one batch may add per signature; default 5. */
  readonly maxSamplesPerBatch?: number;
  /** Once a signature holds its quota, the least time between two new samples; default 60000. */
  readonly sampleSpacingMs?: number;
}

export class PostgresqlSignatureStore implements SignatureStore {
  readonly kind = 'postgresql' as const;
  private readonly target: PgTarget;
  private readonly ingester: PgIngester;
  // ES private fields: the URL (with its password) and the pool holding it stay out of util.inspect and
  // JSON.stringify, should a logger ever be handed the store.
  readonly #options: PostgresqlSignatureStoreOptions;
  #db: Database | undefined;
  #workflow: PgWorkflow | undefined;

  constructor(options: PostgresqlSignatureStoreOptions) {
    this.#options = options;
    this.target = new PgTarget(options.url);
    this.ingester = new PgIngester({
      maxSamplesPerSignature: options.maxSamplesPerSignature ?? 20,
      maxSamplesPerBatch: options.maxSamplesPerBatch ?? 5,
      sampleSpacingMs: options.sampleSpacingMs ?? 60_000,
    });
  }

  /** Where this store keeps its data, password masked: for logs and `rounds status`. */
  get location(): string {
    return this.#options.schema === undefined
      ? this.target.display
      : `${this.target.display} (schema ${this.#options.schema})`;
  }

  async open(): Promise<void> {
    if (this.#db) return;
    const { schema } = this.#options;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new RoundsError(
        'ROUNDS_INVALID_CONFIG',
        `the PostgreSQL schema name "${schema}" is not a lowercase identifier (letters, digits, _)`,
      );
    }
    let db: Database | undefined;
    try {
      db = new Database(this.target, {
        url: this.#options.url,
        ...(schema === undefined ? {} : { schema }),
        poolSize: this.#options.poolSize ?? 10,
        connectTimeoutMs: this.#options.connectTimeoutMs ?? 10_000,
      });
      await migrate(db, schema);
    } catch (error) {
      await db?.end().catch(() => {});
      throw openError(error, this.target);
    }
    this.#db = db;
    this.#workflow = new PgWorkflow(db);
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    this.#workflow = undefined;
    await db?.end();
  }

  async ingest(events: readonly FingerprintedEvent[]): Promise<StoreIngestResult> {
    const db = this.ready();
    if (events.length === 0) {
      return { created: [], updated: [], duplicates: 0, accepted: 0, sampledTraceIds: [], regressed: [], unmuted: [] };
    }
    return db.transaction((client) => this.ingester.run(client, events, Date.now()));
  }

  async getSignature(id: string): Promise<Signature | undefined> {
    return q.getSignature(this.ready(), id);
  }

  async listSignatures(query: SignatureQuery = {}): Promise<Signature[]> {
    return q.listSignatures(this.ready(), query);
  }

  async countSignatures(query: Pick<SignatureQuery, 'status' | 'service'> = {}): Promise<number> {
    return q.countSignatures(this.ready(), query);
  }

  async listSamples(signatureId: string, limit = this.#options.maxSamplesPerSignature ?? 20): Promise<ErrorEvent[]> {
    return q.listSamples(this.ready(), signatureId, limit);
  }

  /** Counts per UTC hour, oldest first, including the hour that contains `sinceMs`. */
  async hourlyCounts(signatureId: string, sinceMs: number): Promise<HourlyCount[]> {
    const rows = await q.hourlyCounts(this.ready(), [signatureId], hourStart(sinceMs));
    return rows.map(({ hourStart: start, count }) => ({ hourStart: start, count }));
  }

  async listSamplesInTraces(traceIds: readonly string[], limit: number): Promise<ErrorEvent[]> {
    return q.listSamplesInTraces(this.ready(), traceIds.map(pgText), limit);
  }

  async resolve(signatureId: string, options: { at: number; inVersion?: string }): Promise<Signature> {
    return this.flow().resolve(signatureId, options.at, options.inVersion);
  }

  async mute(signatureId: string, mute: Mute): Promise<Signature> {
    return this.flow().mute(signatureId, mute);
  }

  async unmute(signatureId: string, at: number): Promise<Signature> {
    return this.flow().unmute(signatureId, at);
  }

  async resetDiagnosis(signatureId: string, at: number): Promise<Signature> {
    return this.flow().reset(signatureId, at);
  }

  async expireMutes(now: number): Promise<string[]> {
    return this.flow().expireMutes(now);
  }

  async listTriageCandidates(seenSinceMs: number, now: number, limit: number): Promise<TriageCandidate[]> {
    return this.flow().triageCandidates(seenSinceMs, now, limit);
  }

  async recordTriage(signatureId: string, decision: TriageDecision, basis?: TriageBasis): Promise<boolean> {
    return this.flow().recordTriage(signatureId, decision, basis);
  }

  async listTriageHistory(signatureId: string, limit = 20): Promise<TriageDecision[]> {
    return this.flow().triageHistory(signatureId, limit);
  }

  async claimInvestigation(workerId: string, now: number, leaseMs: number): Promise<InvestigationClaim | undefined> {
    return this.flow().claim(workerId, now, leaseMs);
  }

  async claimSignature(
    signatureId: string,
    workerId: string,
    now: number,
    leaseMs: number,
  ): Promise<InvestigationClaim | undefined> {
    return this.flow().claimOne(signatureId, workerId, now, leaseMs);
  }

  async renewInvestigation(signatureId: string, workerId: string, leaseUntil: number): Promise<boolean> {
    return this.flow().renew(signatureId, workerId, leaseUntil);
  }

  async completeInvestigation(signatureId: string, workerId: string, diagnosis: Diagnosis): Promise<Signature> {
    return this.flow().complete(signatureId, workerId, diagnosis, Date.now());
  }

  async failInvestigation(signatureId: string, workerId: string, failure: InvestigationFailure): Promise<void> {
    await this.flow().fail(signatureId, workerId, failure);
  }

  async enqueueNotification(item: {
    signatureId: string;
    kind: NotificationKind;
    key: string;
    at: number;
  }): Promise<boolean> {
    return this.flow().enqueue(item.signatureId, item.kind, item.key, item.at);
  }

  async claimNotifications(now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    return this.flow().claimNotifications(now, leaseMs, limit);
  }

  async finishNotification(id: number): Promise<void> {
    await this.flow().finishNotification(id);
  }

  async deferNotification(id: number, retry: { nextAttemptAt: number; error: string }): Promise<void> {
    await this.flow().deferNotification(id, retry.nextAttemptAt, retry.error);
  }

  async countPendingNotifications(): Promise<number> {
    return this.flow().countPendingNotifications();
  }

  async setStatus(signatureId: string, to: SignatureStatus): Promise<Signature> {
    return this.flow().setStatus(signatureId, to, Date.now());
  }

  async setTags(signatureId: string, tags: readonly string[]): Promise<Signature> {
    const sorted = sortedUnique(tags.map(pgText));
    return this.ready().transaction(async (c) => {
      await lockRow(c, signatureId);
      await c.query('UPDATE signatures SET tags = $1, updated_at = $2 WHERE id = $3', [
        sorted,
        Date.now(),
        signatureId,
      ]);
      return q.requireSignature(c, signatureId);
    });
  }

  /** The diagnosis added last becomes current, even if an older `diagnosedAt` makes it sort lower in the history. */
  async addDiagnosis(signatureId: string, diagnosis: Diagnosis): Promise<void> {
    await this.ready().transaction(async (c) => {
      await lockRow(c, signatureId);
      await q.insertDiagnosis(c, signatureId, diagnosis, Date.now());
    });
  }

  async listDiagnoses(signatureId: string): Promise<Diagnosis[]> {
    return q.listDiagnoses(this.ready(), signatureId);
  }

  async recordCost(entry: CostEntry): Promise<void> {
    await this.ready().query(
      'INSERT INTO cost_ledger (signature_id, engine, model, cost_usd, outcome, at) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        pgTextOrNull(entry.signatureId),
        pgText(entry.engine),
        pgText(entry.model),
        entry.costUsd,
        entry.outcome,
        entry.at,
      ],
    );
  }

  async costSince(sinceMs: number): Promise<number> {
    const rows = await this.ready().rows<{ total: number }>(
      'SELECT coalesce(sum(cost_usd), 0) AS total FROM cost_ledger WHERE at >= $1',
      [sinceMs],
    );
    return rows[0]?.total ?? 0;
  }

  async recordNotification(record: NotificationRecord): Promise<boolean> {
    const { signatureId, channel, key, externalRef, at } = record;
    const inserted = await this.ready().query(
      `INSERT INTO notifications (signature_id, channel, key, external_ref, at)
        SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint WHERE EXISTS (SELECT 1 FROM signatures WHERE id = $1)
        ON CONFLICT (signature_id, channel, key) DO NOTHING`,
      [signatureId, pgText(channel), pgText(key), pgTextOrNull(externalRef), at],
    );
    if ((inserted.rowCount ?? 0) > 0) return true;
    await this.flow().requireExists(signatureId);
    return false;
  }

  async listNotifications(signatureId: string): Promise<NotificationRecord[]> {
    return q.listNotifications(this.ready(), signatureId);
  }

  /** Forgets eventIds first counted before `olderThanMs`; an eventId seen again after that counts again. */
  async pruneSeenEvents(olderThanMs: number): Promise<number> {
    return (await this.ready().query('DELETE FROM seen_events WHERE seen_at < $1', [olderThanMs])).rowCount ?? 0;
  }

  async saveTraceSnapshots(snapshots: readonly TraceSnapshot[]): Promise<number> {
    const db = this.ready();
    if (snapshots.length === 0) return 0;
    return saveTraceSnapshots(db, snapshots);
  }

  async getTraceSnapshot(traceId: string): Promise<TraceSnapshot | undefined> {
    return getTraceSnapshot(this.ready(), traceId);
  }

  private ready(): Database {
    if (!this.#db) {
      throw new RoundsError('ROUNDS_STORE_UNAVAILABLE', `the PostgreSQL store at ${this.target.display} is not open`);
    }
    return this.#db;
  }

  private flow(): PgWorkflow {
    this.ready();
    return this.#workflow!;
  }
}

/** Failures while opening say so and name the server; an unreachable or refusing server is worth retrying later. */
function openError(error: unknown, target: PgTarget): unknown {
  const mapped = error instanceof RoundsError ? error : toStoreError(error, target, 'cannot open');
  if (mapped instanceof RoundsError) {
    const prefix = 'cannot use the PostgreSQL store';
    if (!mapped.message.startsWith(prefix)) return mapped;
    return new RoundsError('ROUNDS_STORE_UNAVAILABLE', `cannot open${mapped.message.slice('cannot use'.length)}`, {
      retryable: mapped.retryable,
      ...(mapped.cause === undefined ? {} : { cause: mapped.cause }),
    });
  }
  // Not a database failure (a malformed URL, say): no cause attached, as it may quote the URL with its password.
  const reason = target.scrub(error instanceof Error ? error.message : String(error));
  return new RoundsError(
    'ROUNDS_STORE_UNAVAILABLE',
    `cannot open the PostgreSQL store at ${target.display}: ${reason}`,
  );
}
