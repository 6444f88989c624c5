/**
 * @module The SQLite store's workflow state: resolve and mute, triage decisions, the diagnosis queue with leases,
 * and the notification outbox. Every method runs in one IMMEDIATE transaction, so two processes sharing the file
 * serialise on the write lock before they read what they are about to change (no double claim).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Diagnosis, ErrorEvent, Mute, Signature, SignatureStatus, TriageDecision } from '../../domain/index.js';
import { RoundsError, transition } from '../../domain/index.js';
import type {
  InvestigationClaim,
  InvestigationFailure,
  PendingNotification,
  TriageBasis,
  TriageCandidate,
} from '../../ports/index.js';
import { BASELINE_WINDOW_MS, rates } from '../triage-rates.js';
import { hourStart, parseEvent } from './rows.js';
import type { Prepared } from './statements.js';

/** Triage history kept per signature; it only grows when a decision changes, so this covers a long time. */
const TRIAGE_HISTORY_KEPT = 50;

interface ClaimRow {
  claimed_by: string | null;
  status: string;
}

interface OutboxRow {
  id: number;
  signature_id: string;
  kind: string;
  key: string;
  created_at: number;
  attempts: number;
}

interface QueueRow {
  id: string;
  attempts: number;
}

interface FactsRow {
  attempts: number;
  last_failure_at: number | null;
}

export class SqliteWorkflow {
  private readonly stmt: Record<string, Statement<unknown[], unknown>>;

  constructor(
    private readonly db: Database,
    private readonly p: Prepared,
  ) {
    const sql: Record<string, string> = {
      resolve: `UPDATE signatures SET status = ?, resolved_at = ?, resolved_in_version = ?, muted_at = NULL,
        mute_reason = NULL, mute_until = NULL, mute_occurrences_left = NULL, queued = 0, updated_at = ? WHERE id = ?`,
      mute: `UPDATE signatures SET status = 'muted', muted_at = ?, mute_reason = ?, mute_until = ?,
        mute_occurrences_left = ?, resolved_at = NULL, resolved_in_version = NULL, queued = 0, updated_at = ?
        WHERE id = ?`,
      unmute: `UPDATE signatures SET status = 'new', muted_at = NULL, mute_reason = NULL, mute_until = NULL,
        mute_occurrences_left = NULL, updated_at = ? WHERE id = ?`,
      reset: `UPDATE signatures SET status = 'new', current_diagnosis_id = NULL, attempts = 0, last_error = NULL,
        last_failure_at = NULL, next_attempt_at = NULL, queued = 0, triage = NULL, muted_at = NULL, mute_reason = NULL,
        mute_until = NULL, mute_occurrences_left = NULL, resolved_at = NULL, resolved_in_version = NULL,
        claimed_by = NULL, lease_until = NULL, status_before_claim = NULL, updated_at = ? WHERE id = ?`,
      liveClaim: 'SELECT claimed_by FROM signatures WHERE id = ? AND claimed_by IS NOT NULL AND lease_until > ?',
      dueMutes: `SELECT id FROM signatures WHERE status = 'muted' AND mute_until IS NOT NULL AND mute_until <= ?`,
      candidates: `SELECT id FROM signatures WHERE last_seen >= ? OR status = 'regressed'
        ORDER BY last_seen DESC, id LIMIT ?`,
      facts: 'SELECT attempts, last_failure_at FROM signatures WHERE id = ?',
      hourly: `SELECT hour_start AS hourStart, count FROM occurrence_hours WHERE signature_id = ? AND hour_start >= ?`,
      previousTriage: 'SELECT triage FROM signatures WHERE id = ?',
      setTriage: `UPDATE signatures SET triage = ?,
        queued = CASE WHEN status = 'investigating' THEN queued ELSE ? END,
        priority = CASE WHEN status = 'investigating' THEN priority ELSE ? END WHERE id = ?`,
      insertTriage: 'INSERT INTO triage_decisions (signature_id, decided_at, decision) VALUES (?, ?, ?)',
      trimTriage: `DELETE FROM triage_decisions WHERE id IN (SELECT id FROM triage_decisions WHERE signature_id = ?
        ORDER BY decided_at DESC, id DESC LIMIT -1 OFFSET ?)`,
      triageHistory: `SELECT decision FROM triage_decisions WHERE signature_id = ?
        ORDER BY decided_at DESC, id DESC LIMIT ?`,
      nextClaimable: `SELECT id, attempts FROM signatures WHERE queued = 1 AND coalesce(next_attempt_at, 0) <= @now
        AND (claimed_by IS NULL OR lease_until <= @now)
        AND status IN ('new', 'diagnosed', 'regressed', 'investigating')
        ORDER BY priority DESC, id LIMIT 1`,
      claim: `UPDATE signatures SET
        status_before_claim = CASE WHEN status = 'investigating' THEN status_before_claim ELSE status END,
        status = 'investigating', claimed_by = ?, lease_until = ? WHERE id = ?`,
      claimOf: 'SELECT claimed_by, status FROM signatures WHERE id = ?',
      claimable: `SELECT id, attempts FROM signatures WHERE id = @id
        AND (claimed_by IS NULL OR lease_until <= @now)`,
      inTraces: `SELECT event FROM sample_events WHERE trace_id IN (SELECT value FROM json_each(?))
        ORDER BY timestamp DESC, id DESC LIMIT ?`,
      renew: 'UPDATE signatures SET lease_until = ? WHERE id = ? AND claimed_by = ?',
      complete: `UPDATE signatures SET status = CASE WHEN status = 'investigating' THEN 'diagnosed' ELSE status END,
        claimed_by = NULL, lease_until = NULL, status_before_claim = NULL, queued = 0, attempts = 0,
        last_error = NULL, last_failure_at = NULL, next_attempt_at = NULL, updated_at = ? WHERE id = ?`,
      fail: `UPDATE signatures SET
        status = CASE WHEN status = 'investigating' THEN coalesce(status_before_claim, 'new') ELSE status END,
        claimed_by = NULL, lease_until = NULL, status_before_claim = NULL, attempts = attempts + ?,
        last_error = ?, last_failure_at = ?, next_attempt_at = ?, queued = CASE WHEN ? THEN 0 ELSE queued END,
        updated_at = ? WHERE id = ?`,
      enqueue: `INSERT INTO notification_outbox (signature_id, kind, key, created_at, next_attempt_at)
        VALUES (?, ?, ?, ?, ?) ON CONFLICT (signature_id, kind, key) DO NOTHING`,
      dueOutbox: `SELECT id, signature_id, kind, key, created_at, attempts FROM notification_outbox
        WHERE next_attempt_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now) ORDER BY id LIMIT @limit`,
      claimOutbox: 'UPDATE notification_outbox SET claimed_until = ? WHERE id = ?',
      finishOutbox: 'DELETE FROM notification_outbox WHERE id = ?',
      deferOutbox: `UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
        claimed_until = NULL WHERE id = ?`,
      countOutbox: 'SELECT count(*) AS n FROM notification_outbox',
    };
    this.stmt = Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, db.prepare(text)]));
  }

  resolve(id: string, at: number, inVersion: string | undefined): Signature {
    return this.immediate(() => {
      const from = this.p.require(id).status;
      if (from === 'resolved') throw illegal(from, 'resolved');
      this.run('resolve', transition(from, 'resolved'), at, inVersion ?? null, at, id);
      this.run('enqueue', id, 'resolved', String(at), at, at);
      return this.p.require(id);
    });
  }

  mute(id: string, mute: Mute): Signature {
    return this.immediate(() => {
      const from = this.p.require(id).status;
      if (from === 'muted') throw illegal(from, 'muted');
      transition(from, 'muted');
      const { mutedAt, reason, until, remainingOccurrences } = mute;
      this.run('mute', mutedAt, reason ?? null, until ?? null, remainingOccurrences ?? null, mutedAt, id);
      return this.p.require(id);
    });
  }

  unmute(id: string, at: number): Signature {
    return this.immediate(() => {
      transition(this.p.require(id).status, 'new');
      this.run('unmute', at, id);
      return this.p.require(id);
    });
  }

  reset(id: string, at: number): Signature {
    return this.immediate(() => {
      this.p.require(id);
      const claim = this.get<{ claimed_by: string }>('liveClaim', id, at);
      if (claim) {
        throw new RoundsError(
          'ROUNDS_ILLEGAL_TRANSITION',
          `${id} is being diagnosed by ${claim.claimed_by} right now; reset it when that finishes`,
        );
      }
      this.run('reset', at, id);
      return this.p.require(id);
    });
  }

  expireMutes(now: number): string[] {
    return this.immediate(() => {
      const ids = this.all<{ id: string }>('dueMutes', now).map((row) => row.id);
      for (const id of ids) this.run('unmute', now, id);
      return ids;
    });
  }

  triageCandidates(seenSince: number, now: number, limit: number): TriageCandidate[] {
    const ids = this.all<{ id: string }>('candidates', seenSince, limit).map((row) => row.id);
    return ids.map((id) => {
      const signature = this.p.require(id);
      const state = this.get<FactsRow>('facts', id);
      const counts = this.all<{ hourStart: number; count: number }>('hourly', id, hourStart(now - BASELINE_WINDOW_MS));
      return {
        signature,
        facts: {
          ...rates(counts, signature.firstSeen, now),
          ...(signature.diagnosis ? { lastDiagnosisAt: signature.diagnosis.diagnosedAt } : {}),
          attempts: state?.attempts ?? 0,
          ...(state?.last_failure_at == null ? {} : { lastFailureAt: state.last_failure_at }),
        },
      };
    });
  }

  recordTriage(id: string, decision: TriageDecision, basis: TriageBasis | undefined): boolean {
    return this.immediate(() => {
      const previous = this.get<{ triage: string | null }>('previousTriage', id);
      if (!previous) throw new RoundsError('ROUNDS_NOT_FOUND', `no signature with id "${id}"`);
      if (basis !== undefined) {
        const now = this.p.require(id);
        if (now.status !== basis.status || now.diagnosis?.diagnosedAt !== basis.lastDiagnosisAt) return false;
      }
      const json = JSON.stringify(decision);
      this.run('setTriage', json, decision.queued ? 1 : 0, decision.priority, id);
      const before = previous.triage === null ? undefined : (JSON.parse(previous.triage) as TriageDecision);
      if (before?.queued !== decision.queued || before.reason !== decision.reason) {
        this.run('insertTriage', id, decision.decidedAt, json);
        this.run('trimTriage', id, TRIAGE_HISTORY_KEPT);
      }
      return true;
    });
  }

  triageHistory(id: string, limit: number): TriageDecision[] {
    return this.all<{ decision: string }>('triageHistory', id, limit).map(
      (row) => JSON.parse(row.decision) as TriageDecision,
    );
  }

  claim(workerId: string, now: number, leaseMs: number): InvestigationClaim | undefined {
    return this.immediate(() => {
      const next = this.get<QueueRow>('nextClaimable', { now });
      if (!next) return undefined;
      const leaseUntil = now + leaseMs;
      this.run('claim', workerId, leaseUntil, next.id);
      return { signature: this.p.require(next.id), workerId, leaseUntil, attempts: next.attempts };
    });
  }

  claimOne(id: string, workerId: string, now: number, leaseMs: number): InvestigationClaim | undefined {
    return this.immediate(() => {
      const status = this.p.require(id).status;
      if (status !== 'investigating') transition(status, 'investigating');
      const row = this.get<QueueRow>('claimable', { id, now });
      if (!row) return undefined;
      const leaseUntil = now + leaseMs;
      this.run('claim', workerId, leaseUntil, id);
      return { signature: this.p.require(id), workerId, leaseUntil, attempts: row.attempts };
    });
  }

  samplesInTraces(traceIds: readonly string[], limit: number): ErrorEvent[] {
    if (traceIds.length === 0) return [];
    return this.all<{ event: string }>('inTraces', JSON.stringify(traceIds), limit).map((row) => parseEvent(row.event));
  }

  renew(id: string, workerId: string, leaseUntil: number): boolean {
    return this.immediate(() => this.run('renew', leaseUntil, id, workerId) > 0);
  }

  complete(id: string, workerId: string, diagnosis: Diagnosis, now: number): Signature {
    return this.immediate(() => {
      this.requireClaim(id, workerId);
      const { lastInsertRowid } = this.p.insertDiagnosis.run(
        id,
        JSON.stringify(diagnosis),
        diagnosis.diagnosedAt,
        diagnosis.engine,
        diagnosis.confidence,
      );
      this.p.setCurrentDiagnosis.run(lastInsertRowid, now, id);
      this.run('complete', now, id);
      this.run('enqueue', id, 'diagnosis', String(diagnosis.diagnosedAt), now, now);
      return this.p.require(id);
    });
  }

  fail(id: string, workerId: string, failure: InvestigationFailure): void {
    this.immediate(() => {
      const claim = this.get<ClaimRow>('claimOf', id);
      if (claim?.claimed_by !== workerId) return;
      const { error, at, nextAttemptAt, giveUp, countsAsAttempt = true } = failure;
      this.run('fail', countsAsAttempt ? 1 : 0, error, at, nextAttemptAt, giveUp ? 1 : 0, at, id);
    });
  }

  enqueue(signatureId: string, kind: string, key: string, at: number): boolean {
    return this.immediate(() => {
      this.p.require(signatureId);
      return this.run('enqueue', signatureId, kind, key, at, at) > 0;
    });
  }

  claimNotifications(now: number, leaseMs: number, limit: number): PendingNotification[] {
    return this.immediate(() => {
      const rows = this.all<OutboxRow>('dueOutbox', { now, limit });
      for (const row of rows) this.run('claimOutbox', now + leaseMs, row.id);
      return rows.map((row) => ({
        id: row.id,
        signatureId: row.signature_id,
        kind: row.kind as PendingNotification['kind'],
        key: row.key,
        createdAt: row.created_at,
        attempts: row.attempts,
      }));
    });
  }

  finishNotification(id: number): void {
    this.run('finishOutbox', id);
  }

  deferNotification(id: number, nextAttemptAt: number, error: string): void {
    this.run('deferOutbox', nextAttemptAt, error, id);
  }

  countPendingNotifications(): number {
    return this.get<{ n: number }>('countOutbox')?.n ?? 0;
  }

  private requireClaim(id: string, workerId: string): void {
    const claim = this.get<ClaimRow>('claimOf', id);
    if (!claim) throw new RoundsError('ROUNDS_NOT_FOUND', `no signature with id "${id}"`);
    if (claim.claimed_by !== workerId) {
      throw new RoundsError(
        'ROUNDS_LEASE_LOST',
        `worker ${workerId} no longer holds the claim on ${id} (${claim.claimed_by === null ? 'released' : `held by ${claim.claimed_by}`})`,
      );
    }
  }

  private immediate<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  private run(name: string, ...params: unknown[]): number {
    return this.stmt[name]!.run(...params).changes;
  }

  private get<T>(name: string, ...params: unknown[]): T | undefined {
    return this.stmt[name]!.get(...params) as T | undefined;
  }

  private all<T>(name: string, ...params: unknown[]): T[] {
    return this.stmt[name]!.all(...params) as T[];
  }
}

function illegal(from: SignatureStatus, to: SignatureStatus): RoundsError {
  return new RoundsError('ROUNDS_ILLEGAL_TRANSITION', `the signature is already ${from}; cannot make it ${to} again`);
}
