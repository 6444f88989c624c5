/**
 * @module The PostgreSQL store's workflow state: resolve and mute, triage decisions, the diagnosis queue with leases,
 * and the notification outbox. A method that reads before it writes locks the signature row first (FOR UPDATE), so
 * instances sharing the database serialise per signature; claiming the next queued signature skips rows another
 * instance is claiming (FOR UPDATE SKIP LOCKED), so no two instances ever claim the same one.
 */
import type { Diagnosis, Mute, Signature, SignatureStatus, TriageDecision } from '../../domain/index.js';
import { isSignatureStatus, RoundsError, transition } from '../../domain/index.js';
import type {
  InvestigationClaim,
  InvestigationFailure,
  PendingNotification,
  TriageBasis,
  TriageCandidate,
} from '../../ports/index.js';
// The triage rate arithmetic is shared with the SQLite store (a pure function), so both backends give triage the
// same facts for the same counts.
import { rates } from '../triage-rates.js';
import type { Database, Queryable } from './database.js';
import { getSignatures, hourlyCounts, insertDiagnosis, notFound, requireSignature } from './queries.js';
import { hourStart, pgText, pgTextOrNull } from './rows.js';

const HOUR_MS = 3_600_000;
/** The window a signature's usual hourly rate is measured over. */
const BASELINE_WINDOW_MS = 7 * 24 * HOUR_MS;
/** Triage history kept per signature; it only grows when a decision changes, so this covers a long time. */
const TRIAGE_HISTORY_KEPT = 50;

const SQL = {
  lock: `SELECT status, claimed_by, lease_until, triage FROM signatures WHERE id = $1 FOR UPDATE`,
  currentDiagnosisAt: `SELECT d.diagnosed_at FROM signatures s LEFT JOIN diagnoses d ON d.id = s.current_diagnosis_id
    WHERE s.id = $1`,
  resolve: `UPDATE signatures SET status = $1, resolved_at = $2, resolved_in_version = $3, muted_at = NULL,
    mute_reason = NULL, mute_until = NULL, mute_occurrences_left = NULL, queued = false, updated_at = $2 WHERE id = $4`,
  mute: `UPDATE signatures SET status = 'muted', muted_at = $1, mute_reason = $2, mute_until = $3,
    mute_occurrences_left = $4, resolved_at = NULL, resolved_in_version = NULL, queued = false, updated_at = $1
    WHERE id = $5`,
  unmute: `UPDATE signatures SET status = 'new', muted_at = NULL, mute_reason = NULL, mute_until = NULL,
    mute_occurrences_left = NULL, updated_at = $1 WHERE id = $2`,
  reset: `UPDATE signatures SET status = 'new', current_diagnosis_id = NULL, attempts = 0, last_error = NULL,
    last_failure_at = NULL, next_attempt_at = NULL, queued = false, triage = NULL, muted_at = NULL,
    mute_reason = NULL, mute_until = NULL, mute_occurrences_left = NULL, resolved_at = NULL,
    resolved_in_version = NULL, claimed_by = NULL, lease_until = NULL, status_before_claim = NULL, updated_at = $1
    WHERE id = $2`,
  expireMutes: `UPDATE signatures SET status = 'new', muted_at = NULL, mute_reason = NULL, mute_until = NULL,
    mute_occurrences_left = NULL, updated_at = $1
    WHERE status = 'muted' AND mute_until IS NOT NULL AND mute_until <= $1 RETURNING id`,
  candidates: `SELECT id FROM signatures WHERE last_seen >= $1 OR status = 'regressed'
    ORDER BY last_seen DESC, id LIMIT $2`,
  setTriage: `UPDATE signatures SET triage = $1,
    queued = CASE WHEN status = 'investigating' THEN queued ELSE $2 END,
    priority = CASE WHEN status = 'investigating' THEN priority ELSE $3 END WHERE id = $4`,
  insertTriage: 'INSERT INTO triage_decisions (signature_id, decided_at, decision) VALUES ($1, $2, $3)',
  trimTriage: `DELETE FROM triage_decisions WHERE id IN (SELECT id FROM triage_decisions WHERE signature_id = $1
    ORDER BY decided_at DESC, id DESC OFFSET $2)`,
  triageHistory: `SELECT decision FROM triage_decisions WHERE signature_id = $1
    ORDER BY decided_at DESC, id DESC LIMIT $2`,
  // One statement: pick the best due row nobody else is claiming right now, and claim it.
  claimNext: `WITH next AS (
      SELECT id FROM signatures WHERE queued AND coalesce(next_attempt_at, 0) <= $1
        AND (claimed_by IS NULL OR lease_until <= $1)
        AND status IN ('new', 'diagnosed', 'regressed', 'investigating')
      ORDER BY priority DESC, id LIMIT 1
      FOR UPDATE SKIP LOCKED)
    UPDATE signatures s SET
      status_before_claim = CASE WHEN s.status = 'investigating' THEN s.status_before_claim ELSE s.status END,
      status = 'investigating', claimed_by = $2, lease_until = $3
    FROM next WHERE s.id = next.id
    RETURNING s.id, s.attempts`,
  claim: `UPDATE signatures SET
      status_before_claim = CASE WHEN status = 'investigating' THEN status_before_claim ELSE status END,
      status = 'investigating', claimed_by = $1, lease_until = $2 WHERE id = $3
    RETURNING attempts`,
  renew: 'UPDATE signatures SET lease_until = $1 WHERE id = $2 AND claimed_by = $3',
  complete: `UPDATE signatures SET status = CASE WHEN status = 'investigating' THEN 'diagnosed' ELSE status END,
    claimed_by = NULL, lease_until = NULL, status_before_claim = NULL, queued = false, attempts = 0,
    last_error = NULL, last_failure_at = NULL, next_attempt_at = NULL, updated_at = $1 WHERE id = $2`,
  fail: `UPDATE signatures SET
    status = CASE WHEN status = 'investigating' THEN coalesce(status_before_claim, 'new') ELSE status END,
    claimed_by = NULL, lease_until = NULL, status_before_claim = NULL, attempts = attempts + $1,
    last_error = $2, last_failure_at = $3, next_attempt_at = $4, queued = CASE WHEN $5 THEN false ELSE queued END,
    updated_at = $3 WHERE id = $6 AND claimed_by = $7`,
  enqueue: `INSERT INTO notification_outbox (signature_id, kind, key, created_at, next_attempt_at)
    VALUES ($1, $2, $3, $4, $4) ON CONFLICT (signature_id, kind, key) DO NOTHING`,
  enqueueIfKnown: `INSERT INTO notification_outbox (signature_id, kind, key, created_at, next_attempt_at)
    SELECT $1::text, $2::text, $3::text, $4::bigint, $4::bigint WHERE EXISTS (SELECT 1 FROM signatures WHERE id = $1)
    ON CONFLICT (signature_id, kind, key) DO NOTHING RETURNING id`,
  exists: 'SELECT EXISTS (SELECT 1 FROM signatures WHERE id = $1) AS found',
  claimOutbox: `UPDATE notification_outbox o SET claimed_until = $2
    FROM (SELECT id FROM notification_outbox
      WHERE next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
      ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) due
    WHERE o.id = due.id
    RETURNING o.id, o.signature_id, o.kind, o.key, o.created_at, o.attempts`,
  finishOutbox: 'DELETE FROM notification_outbox WHERE id = $1',
  deferOutbox: `UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2,
    claimed_until = NULL WHERE id = $3`,
  countOutbox: 'SELECT count(*) AS n FROM notification_outbox',
  facts: 'SELECT id, attempts, last_failure_at FROM signatures WHERE id = ANY($1::text[])',
} as const;

interface LockedRow {
  status: string;
  claimed_by: string | null;
  lease_until: number | null;
  triage: string | null;
}

interface OutboxRow {
  id: number;
  signature_id: string;
  kind: string;
  key: string;
  created_at: number;
  attempts: number;
}

export class PgWorkflow {
  constructor(private readonly db: Database) {}

  async resolve(id: string, at: number, inVersion: string | undefined): Promise<Signature> {
    return this.db.transaction(async (c) => {
      const from = (await lockRow(c, id)).status;
      if (from === 'resolved') throw illegal(from, 'resolved');
      await c.query(SQL.resolve, [transition(from, 'resolved'), at, pgTextOrNull(inVersion), id]);
      await c.query(SQL.enqueue, [id, 'resolved', String(at), at]);
      return requireSignature(c, id);
    });
  }

  async mute(id: string, mute: Mute): Promise<Signature> {
    return this.db.transaction(async (c) => {
      const from = (await lockRow(c, id)).status;
      if (from === 'muted') throw illegal(from, 'muted');
      transition(from, 'muted');
      const { mutedAt, reason, until, remainingOccurrences } = mute;
      await c.query(SQL.mute, [mutedAt, pgTextOrNull(reason), until ?? null, remainingOccurrences ?? null, id]);
      return requireSignature(c, id);
    });
  }

  async unmute(id: string, at: number): Promise<Signature> {
    return this.db.transaction(async (c) => {
      transition((await lockRow(c, id)).status, 'new');
      await c.query(SQL.unmute, [at, id]);
      return requireSignature(c, id);
    });
  }

  async reset(id: string, at: number): Promise<Signature> {
    return this.db.transaction(async (c) => {
      const row = await lockRow(c, id);
      if (row.claimed_by !== null && row.lease_until !== null && row.lease_until > at) {
        throw new RoundsError(
          'ROUNDS_ILLEGAL_TRANSITION',
          `${id} is being diagnosed by ${row.claimed_by} right now; reset it when that finishes`,
        );
      }
      await c.query(SQL.reset, [at, id]);
      return requireSignature(c, id);
    });
  }

  async expireMutes(now: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(SQL.expireMutes, [now]);
    return rows.map((row) => row.id).sort();
  }

  async setStatus(id: string, to: SignatureStatus, now: number): Promise<Signature> {
    return this.db.transaction(async (c) => {
      const from = (await lockRow(c, id)).status;
      await c.query('UPDATE signatures SET status = $1, updated_at = $2 WHERE id = $3', [
        transition(from, to),
        now,
        id,
      ]);
      return requireSignature(c, id);
    });
  }

  /** Three queries however many candidates: their ids, their rows, and their hourly counts. */
  async triageCandidates(seenSince: number, now: number, limit: number): Promise<TriageCandidate[]> {
    const ids = (await this.db.rows<{ id: string }>(SQL.candidates, [seenSince, limit])).map((row) => row.id);
    if (ids.length === 0) return [];
    const signatures = await getSignatures(this.db, ids);
    const facts = await this.db.rows<{ id: string; attempts: number; last_failure_at: number | null }>(SQL.facts, [
      ids,
    ]);
    const factsById = new Map(facts.map((row) => [row.id, row]));
    const counts = await hourlyCounts(this.db, ids, hourStart(now - BASELINE_WINDOW_MS));
    const countsById = new Map<string, { hourStart: number; count: number }[]>();
    for (const { signatureId, hourStart: start, count } of counts) {
      const list = countsById.get(signatureId) ?? [];
      list.push({ hourStart: start, count });
      countsById.set(signatureId, list);
    }
    return signatures.map((signature) => {
      const state = factsById.get(signature.id);
      return {
        signature,
        facts: {
          ...rates(countsById.get(signature.id) ?? [], signature.firstSeen, now),
          ...(signature.diagnosis ? { lastDiagnosisAt: signature.diagnosis.diagnosedAt } : {}),
          attempts: state?.attempts ?? 0,
          ...(state?.last_failure_at == null ? {} : { lastFailureAt: state.last_failure_at }),
        },
      };
    });
  }

  async recordTriage(id: string, decision: TriageDecision, basis: TriageBasis | undefined): Promise<boolean> {
    return this.db.transaction(async (c) => {
      const locked = await lockRow(c, id);
      if (basis !== undefined) {
        const { rows } = await c.query<{ diagnosed_at: number | null }>(SQL.currentDiagnosisAt, [id]);
        const diagnosedAt = rows[0]?.diagnosed_at ?? undefined;
        if (locked.status !== basis.status || diagnosedAt !== basis.lastDiagnosisAt) return false;
      }
      const previous = locked.triage;
      const json = JSON.stringify(decision);
      await c.query(SQL.setTriage, [json, decision.queued, decision.priority, id]);
      const before = previous === null ? undefined : (JSON.parse(previous) as TriageDecision);
      if (before?.queued !== decision.queued || before.reason !== decision.reason) {
        await c.query(SQL.insertTriage, [id, decision.decidedAt, json]);
        await c.query(SQL.trimTriage, [id, TRIAGE_HISTORY_KEPT]);
      }
      return true;
    });
  }

  async triageHistory(id: string, limit: number): Promise<TriageDecision[]> {
    const rows = await this.db.rows<{ decision: string }>(SQL.triageHistory, [id, limit]);
    return rows.map((row) => JSON.parse(row.decision) as TriageDecision);
  }

  async claim(workerId: string, now: number, leaseMs: number): Promise<InvestigationClaim | undefined> {
    const leaseUntil = now + leaseMs;
    return this.db.transaction(async (c) => {
      const { rows } = await c.query<{ id: string; attempts: number }>(SQL.claimNext, [now, workerId, leaseUntil]);
      const next = rows[0];
      if (!next) return undefined;
      return { signature: await requireSignature(c, next.id), workerId, leaseUntil, attempts: next.attempts };
    });
  }

  async claimOne(id: string, workerId: string, now: number, leaseMs: number): Promise<InvestigationClaim | undefined> {
    const leaseUntil = now + leaseMs;
    return this.db.transaction(async (c) => {
      const row = await lockRow(c, id);
      const status = checkedStatus(id, row.status);
      if (status !== 'investigating') transition(status, 'investigating');
      if (row.claimed_by !== null && row.lease_until !== null && row.lease_until > now) return undefined;
      const { rows } = await c.query<{ attempts: number }>(SQL.claim, [workerId, leaseUntil, id]);
      return { signature: await requireSignature(c, id), workerId, leaseUntil, attempts: rows[0]?.attempts ?? 0 };
    });
  }

  async renew(id: string, workerId: string, leaseUntil: number): Promise<boolean> {
    return ((await this.db.query(SQL.renew, [leaseUntil, id, workerId])).rowCount ?? 0) > 0;
  }

  async complete(id: string, workerId: string, diagnosis: Diagnosis, now: number): Promise<Signature> {
    return this.db.transaction(async (c) => {
      const { rows } = await c.query<{ claimed_by: string | null }>(
        'SELECT claimed_by FROM signatures WHERE id = $1 FOR UPDATE',
        [id],
      );
      const claim = rows[0];
      if (!claim) throw notFound(id);
      if (claim.claimed_by !== workerId) {
        throw new RoundsError(
          'ROUNDS_LEASE_LOST',
          `worker ${workerId} no longer holds the claim on ${id} (${claim.claimed_by === null ? 'released' : `held by ${claim.claimed_by}`})`,
        );
      }
      await insertDiagnosis(c, id, diagnosis, now);
      await c.query(SQL.complete, [now, id]);
      await c.query(SQL.enqueue, [id, 'diagnosis', String(diagnosis.diagnosedAt), now]);
      return requireSignature(c, id);
    });
  }

  /** One statement: it changes nothing unless `workerId` still holds the claim. */
  async fail(id: string, workerId: string, failure: InvestigationFailure): Promise<void> {
    const { error, at, nextAttemptAt, giveUp, countsAsAttempt = true } = failure;
    await this.db.query(SQL.fail, [countsAsAttempt ? 1 : 0, pgText(error), at, nextAttemptAt, giveUp, id, workerId]);
  }

  async enqueue(signatureId: string, kind: string, key: string, at: number): Promise<boolean> {
    const inserted = await this.db.query(SQL.enqueueIfKnown, [signatureId, pgText(kind), pgText(key), at]);
    if ((inserted.rowCount ?? 0) > 0) return true;
    await this.requireExists(signatureId);
    return false;
  }

  async claimNotifications(now: number, leaseMs: number, limit: number): Promise<PendingNotification[]> {
    const rows = await this.db.rows<OutboxRow>(SQL.claimOutbox, [now, now + leaseMs, limit]);
    return rows
      .sort((a, b) => a.id - b.id)
      .map((row) => ({
        id: row.id,
        signatureId: row.signature_id,
        kind: row.kind as PendingNotification['kind'],
        key: row.key,
        createdAt: row.created_at,
        attempts: row.attempts,
      }));
  }

  async finishNotification(id: number): Promise<void> {
    await this.db.query(SQL.finishOutbox, [id]);
  }

  async deferNotification(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.db.query(SQL.deferOutbox, [nextAttemptAt, pgText(error), id]);
  }

  async countPendingNotifications(): Promise<number> {
    return (await this.db.rows<{ n: number }>(SQL.countOutbox))[0]?.n ?? 0;
  }

  async requireExists(id: string): Promise<void> {
    const rows = await this.db.rows<{ found: boolean }>(SQL.exists, [id]);
    if (!rows[0]?.found) throw notFound(id);
  }
}

/** Locks a signature's row for the rest of the transaction; throws ROUNDS_NOT_FOUND when there is none. */
export async function lockRow(c: Queryable, id: string): Promise<LockedRow & { status: SignatureStatus }> {
  const { rows } = await c.query<LockedRow>(SQL.lock, [id]);
  const row = rows[0];
  if (!row) throw notFound(id);
  return { ...row, status: checkedStatus(id, row.status) };
}

function checkedStatus(id: string, status: string): SignatureStatus {
  if (!isSignatureStatus(status)) {
    throw new RoundsError('ROUNDS_STORE_UNAVAILABLE', `signature ${id} has an unknown status "${status}"`);
  }
  return status;
}

function illegal(from: SignatureStatus, to: SignatureStatus): RoundsError {
  return new RoundsError('ROUNDS_ILLEGAL_TRANSITION', `the signature is already ${from}; cannot make it ${to} again`);
}
