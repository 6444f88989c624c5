/** @module Trace snapshots in the SQLite store: saved only for traces a sample refers to, the bigger one kept. */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { TraceSnapshot, TraceSpan } from '../../domain/index.js';

interface SnapshotParams {
  traceId: string;
  spans: string;
  spanCount: number;
  capturedAt: number;
}

interface SnapshotRow {
  trace_id: string;
  spans: string;
  captured_at: number;
}

/** Prepared once per open database. Deleting snapshots is migration 2's trigger on sample_events, not code here. */
export class SqliteTraceSnapshots {
  readonly save: Transaction<(snapshots: readonly TraceSnapshot[]) => number>;
  private readonly upsert: Statement<[SnapshotParams]>;
  private readonly select: Statement<[string], SnapshotRow>;

  constructor(db: Database) {
    // One statement does the reference check and the size rule, so a sample trimmed between a check and a write
    // cannot leave an orphan behind. INSERT ... SELECT needs its WHERE for SQLite to parse the upsert clause.
    this.upsert = db.prepare(`INSERT INTO trace_snapshots (trace_id, spans, span_count, captured_at)
      SELECT @traceId, @spans, @spanCount, @capturedAt
      WHERE EXISTS (SELECT 1 FROM sample_events WHERE trace_id = @traceId)
      ON CONFLICT (trace_id) DO UPDATE SET spans = excluded.spans, span_count = excluded.span_count,
        captured_at = excluded.captured_at
      WHERE excluded.span_count > trace_snapshots.span_count`);
    this.select = db.prepare('SELECT trace_id, spans, captured_at FROM trace_snapshots WHERE trace_id = ?');
    // One transaction per batch: one commit (one WAL sync) however many traces a capture tick hands over.
    this.save = db.transaction((snapshots: readonly TraceSnapshot[]) => {
      let written = 0;
      for (const s of snapshots) {
        const params = {
          traceId: s.traceId,
          spans: JSON.stringify(s.spans),
          spanCount: s.spans.length,
          capturedAt: s.capturedAt,
        };
        written += this.upsert.run(params).changes;
      }
      return written;
    });
  }

  get(traceId: string): TraceSnapshot | undefined {
    const row = this.select.get(traceId);
    if (row === undefined) return undefined;
    return { traceId: row.trace_id, spans: JSON.parse(row.spans) as TraceSpan[], capturedAt: row.captured_at };
  }
}
