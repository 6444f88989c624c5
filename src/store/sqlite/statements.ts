/** @module Prepared statements of the SQLite store, built once per open database. */
import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { Signature } from '../../domain/index.js';
import { RoundsError } from '../../domain/index.js';
import type {
  FingerprintedEvent,
  HourlyCount,
  NotificationRecord,
  SignatureOrder,
  SignatureQuery,
  StoreIngestResult,
} from '../../ports/index.js';
import type { SqliteIngester } from './ingest.js';
import { readSignature, SIGNATURE_COLUMNS, SIGNATURE_FROM, SIGNATURE_JOINS, type SignatureReadRow } from './rows.js';
import { SqliteTraceSnapshots } from './traces.js';

export interface ListParams {
  status: string | null;
  service: string | null;
  limit: number;
  offset: number;
}

export interface NotificationRow {
  signature_id: string;
  channel: string;
  key: string;
  external_ref: string | null;
  at: number;
}

const ORDER_SQL: Readonly<Record<SignatureOrder, string>> = {
  last_seen: 's.last_seen DESC, s.id',
  first_seen: 's.first_seen DESC, s.id',
  occurrences: 's.occurrence_count DESC, s.id',
};

function whereSql(status: boolean, service: boolean): string {
  const clauses = ['1 = 1'];
  if (status) clauses.push('s.status = @status');
  // services is a small JSON array, so scanning it beats maintaining a join table for this filter.
  if (service) clauses.push('EXISTS (SELECT 1 FROM json_each(s.services) WHERE json_each.value = @service)');
  return clauses.join(' AND ');
}

export function filterKey(status: boolean, service: boolean): string {
  return `${status ? 'status' : ''}|${service ? 'service' : ''}`;
}

/** Everything that exists only while the database is open; prepared once per open. */
export class Prepared {
  readonly ingest: Transaction<(events: readonly FingerprintedEvent[], now: number) => StoreIngestResult>;
  readonly get: Statement<[string], SignatureReadRow>;
  readonly list = new Map<string, Statement<[ListParams], SignatureReadRow>>();
  readonly count = new Map<string, Statement<[ListParams], number>>();
  readonly samples: Statement<[string, number], string>;
  readonly hours: Statement<[string, number], HourlyCount>;
  readonly setStatus: Statement<[string, number, string]>;
  readonly setTags: Statement<[string, number, string]>;
  readonly insertDiagnosis: Statement<[string, string, number, string, string]>;
  readonly setCurrentDiagnosis: Statement<[number | bigint, number, string]>;
  readonly diagnoses: Statement<[string], string>;
  readonly insertCost: Statement<[string | null, string, string, number, string, number]>;
  readonly costSince: Statement<[number], number>;
  readonly insertNotification: Statement<[string, string, string, string | null, number]>;
  readonly notifications: Statement<[string], NotificationRow>;
  readonly prune: Statement<[number]>;
  readonly traces: SqliteTraceSnapshots;

  constructor(
    readonly db: Database,
    ingester: SqliteIngester,
  ) {
    this.ingest = db.transaction((events: readonly FingerprintedEvent[], now: number) => ingester.run(events, now));
    this.get = db.prepare(`SELECT ${SIGNATURE_COLUMNS} FROM ${SIGNATURE_FROM} WHERE s.id = ?`);
    for (const status of [false, true]) {
      for (const service of [false, true]) {
        const where = whereSql(status, service);
        for (const [order, orderSql] of Object.entries(ORDER_SQL)) {
          // Page through ids first, then fetch the wide columns (frames) for that page only.
          this.list.set(
            `${filterKey(status, service)}|${order}`,
            db.prepare(`SELECT ${SIGNATURE_COLUMNS} FROM (SELECT s.id FROM signatures s WHERE ${where}
              ORDER BY ${orderSql} LIMIT @limit OFFSET @offset) page
              JOIN signatures s ON s.id = page.id ${SIGNATURE_JOINS} ORDER BY ${orderSql}`),
          );
        }
        this.count.set(
          filterKey(status, service),
          db.prepare<[ListParams], number>(`SELECT count(*) FROM signatures s WHERE ${where}`).pluck(),
        );
      }
    }
    this.samples = db
      .prepare<[string, number], string>(
        'SELECT event FROM sample_events WHERE signature_id = ? ORDER BY timestamp DESC, id DESC LIMIT ?',
      )
      .pluck();
    this.hours = db.prepare(`SELECT hour_start AS hourStart, count FROM occurrence_hours
      WHERE signature_id = ? AND hour_start >= ? ORDER BY hour_start`);
    this.setStatus = db.prepare('UPDATE signatures SET status = ?, updated_at = ? WHERE id = ?');
    this.setTags = db.prepare('UPDATE signatures SET tags = ?, updated_at = ? WHERE id = ?');
    this.insertDiagnosis = db.prepare(`INSERT INTO diagnoses (signature_id, diagnosis, diagnosed_at, engine, confidence)
      VALUES (?, ?, ?, ?, ?)`);
    this.setCurrentDiagnosis = db.prepare(
      'UPDATE signatures SET current_diagnosis_id = ?, updated_at = ? WHERE id = ?',
    );
    this.diagnoses = db
      .prepare<[string], string>(
        'SELECT diagnosis FROM diagnoses WHERE signature_id = ? ORDER BY diagnosed_at DESC, id DESC',
      )
      .pluck();
    this.insertCost = db.prepare(`INSERT INTO cost_ledger (signature_id, engine, model, cost_usd, outcome, at)
      VALUES (?, ?, ?, ?, ?, ?)`);
    this.costSince = db
      .prepare<[number], number>('SELECT coalesce(sum(cost_usd), 0) FROM cost_ledger WHERE at >= ?')
      .pluck();
    this.insertNotification = db.prepare(`INSERT INTO notifications (signature_id, channel, key, external_ref, at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (signature_id, channel, key) DO NOTHING`);
    this.notifications = db.prepare(`SELECT signature_id, channel, key, external_ref, at FROM notifications
      WHERE signature_id = ? ORDER BY at, id`);
    this.prune = db.prepare('DELETE FROM seen_events WHERE seen_at < ?');
    this.traces = new SqliteTraceSnapshots(db);
  }

  /** Reads a signature that must exist; throws ROUNDS_NOT_FOUND otherwise. */
  require(id: string): Signature {
    const row = this.get.get(id);
    if (!row) throw new RoundsError('ROUNDS_NOT_FOUND', `no signature with id "${id}"`);
    return readSignature(row);
  }
}

export function listParams(query: SignatureQuery): ListParams {
  return {
    status: query.status ?? null,
    service: query.service ?? null,
    limit: query.limit ?? 100,
    offset: query.offset ?? 0,
  };
}

export function toNotification(row: NotificationRow): NotificationRecord {
  const record = { signatureId: row.signature_id, channel: row.channel, key: row.key, at: row.at };
  return row.external_ref === null ? record : { ...record, externalRef: row.external_ref };
}
