/** @module Trace snapshots in the PostgreSQL store: saved only for traces a sample refers to, the bigger one kept. */
import type { TraceSnapshot, TraceSpan } from '../../domain/index.js';
import { LOCK_CLASS } from '../migrations/postgresql.js';
import type { Database } from './database.js';
import { pgText } from './rows.js';

// The same per-trace advisory lock as migration 2's trigger, taken in a fixed order: a sample trimmed by another
// instance at this moment either commits first (and the check below no longer finds it) or waits for this save to
// commit (and its trigger then deletes what this save wrote). Either way no snapshot outlives its last sample.
const LOCK_TRACES = `SELECT pg_advisory_xact_lock($2, hashtext(t)) FROM unnest($1::text[]) AS t`;

// One statement does the reference check and the size rule for the whole batch.
const UPSERT = `INSERT INTO trace_snapshots (trace_id, spans, span_count, captured_at)
  SELECT u.trace_id, u.spans, u.span_count, u.captured_at
  FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[]) AS u(trace_id, spans, span_count, captured_at)
  WHERE EXISTS (SELECT 1 FROM sample_events s WHERE s.trace_id = u.trace_id)
  ON CONFLICT (trace_id) DO UPDATE SET spans = excluded.spans, span_count = excluded.span_count,
    captured_at = excluded.captured_at
  WHERE excluded.span_count > trace_snapshots.span_count`;

const SELECT = 'SELECT trace_id, spans, captured_at FROM trace_snapshots WHERE trace_id = $1';

/**
 * Saves a batch in one transaction and returns how many rows were inserted or replaced. Several snapshots of one
 * trace in a batch are first reduced to the one with the most spans (the first of equals), which is what saving
 * them one after another would leave behind.
 */
export async function saveTraceSnapshots(db: Database, snapshots: readonly TraceSnapshot[]): Promise<number> {
  const best = new Map<string, TraceSnapshot>();
  for (const s of snapshots) {
    const traceId = pgText(s.traceId);
    const kept = best.get(traceId);
    if (kept === undefined || s.spans.length > kept.spans.length) best.set(traceId, s);
  }
  const traceIds = [...best.keys()].sort();
  const spans = traceIds.map((id) => JSON.stringify(best.get(id)!.spans));
  const counts = traceIds.map((id) => best.get(id)!.spans.length);
  const capturedAt = traceIds.map((id) => Math.round(best.get(id)!.capturedAt));
  return db.transaction(async (c) => {
    await c.query(LOCK_TRACES, [traceIds, LOCK_CLASS.trace]);
    const result = await c.query(UPSERT, [traceIds, spans, counts, capturedAt]);
    return result.rowCount ?? 0;
  });
}

export async function getTraceSnapshot(db: Database, traceId: string): Promise<TraceSnapshot | undefined> {
  const rows = await db.rows<{ trace_id: string; spans: string; captured_at: number }>(SELECT, [pgText(traceId)]);
  const row = rows[0];
  if (row === undefined) return undefined;
  return { traceId: row.trace_id, spans: JSON.parse(row.spans) as TraceSpan[], capturedAt: row.captured_at };
}
