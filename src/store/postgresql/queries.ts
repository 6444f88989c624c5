/** @module Reads and small writes of the PostgreSQL store that need no workflow rules: signatures, samples, ledgers. */
import type { Diagnosis, ErrorEvent, Signature } from '../../domain/index.js';
import { RoundsError } from '../../domain/index.js';
import type { HourlyCount, NotificationRecord, SignatureOrder, SignatureQuery } from '../../ports/index.js';
import type { Queryable } from './database.js';
import {
  parseDiagnosis,
  parseEvent,
  readSignature,
  SIGNATURE_COLUMNS,
  SIGNATURE_JOINS,
  type SignatureReadRow,
} from './rows.js';

const ORDER_SQL: Readonly<Record<SignatureOrder, string>> = {
  last_seen: 's.last_seen DESC, s.id',
  first_seen: 's.first_seen DESC, s.id',
  occurrences: 's.occurrence_count DESC, s.id',
};

const GET = `SELECT ${SIGNATURE_COLUMNS} FROM signatures s ${SIGNATURE_JOINS} WHERE s.id = $1`;
const GET_MANY = `SELECT ${SIGNATURE_COLUMNS} FROM signatures s ${SIGNATURE_JOINS} WHERE s.id = ANY($1::text[])`;

export async function getSignature(db: Queryable, id: string): Promise<Signature | undefined> {
  const { rows } = await db.query<SignatureReadRow>(GET, [id]);
  return rows[0] && readSignature(rows[0]);
}

/** Reads a signature that must exist; throws ROUNDS_NOT_FOUND otherwise. */
export async function requireSignature(db: Queryable, id: string): Promise<Signature> {
  const signature = await getSignature(db, id);
  if (!signature) throw notFound(id);
  return signature;
}

/** Reads several signatures, in the order of `ids` (missing ones left out). */
export async function getSignatures(db: Queryable, ids: readonly string[]): Promise<Signature[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<SignatureReadRow>(GET_MANY, [ids]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [readSignature(row)] : [];
  });
}

export function notFound(id: string): RoundsError {
  return new RoundsError('ROUNDS_NOT_FOUND', `no signature with id "${id}"`);
}

/** WHERE clause and parameters for a status/service filter; `services` is a small array, scanned with ANY. */
function filter(query: Pick<SignatureQuery, 'status' | 'service'>): { where: string; values: unknown[] } {
  const clauses = ['true'];
  const values: unknown[] = [];
  if (query.status !== undefined) {
    values.push(query.status);
    clauses.push(`s.status = $${values.length}`);
  }
  if (query.service !== undefined) {
    values.push(query.service);
    clauses.push(`$${values.length} = ANY(s.services)`);
  }
  return { where: clauses.join(' AND '), values };
}

export async function listSignatures(db: Queryable, query: SignatureQuery): Promise<Signature[]> {
  const order = ORDER_SQL[query.orderBy ?? 'last_seen'];
  if (order === undefined)
    throw new RoundsError('ROUNDS_INVALID_INPUT', `cannot order signatures by "${query.orderBy}"`);
  const { where, values } = filter(query);
  values.push(query.limit ?? 100, query.offset ?? 0);
  const { rows } = await db.query<SignatureReadRow>(
    `SELECT ${SIGNATURE_COLUMNS} FROM signatures s ${SIGNATURE_JOINS} WHERE ${where}
      ORDER BY ${order} LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  );
  return rows.map(readSignature);
}

export async function countSignatures(
  db: Queryable,
  query: Pick<SignatureQuery, 'status' | 'service'>,
): Promise<number> {
  const { where, values } = filter(query);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*) AS n FROM signatures s WHERE ${where}`, values);
  return rows[0]?.n ?? 0;
}

export async function listSamples(db: Queryable, signatureId: string, limit: number): Promise<ErrorEvent[]> {
  const { rows } = await db.query<{ event: string }>(
    'SELECT event FROM sample_events WHERE signature_id = $1 ORDER BY timestamp DESC, id DESC LIMIT $2',
    [signatureId, limit],
  );
  return rows.map((row) => parseEvent(row.event));
}

export async function listSamplesInTraces(
  db: Queryable,
  traceIds: readonly string[],
  limit: number,
): Promise<ErrorEvent[]> {
  if (traceIds.length === 0) return [];
  const { rows } = await db.query<{ event: string }>(
    `SELECT event FROM sample_events WHERE trace_id = ANY($1::text[])
      ORDER BY timestamp DESC, id DESC LIMIT $2`,
    [traceIds, limit],
  );
  return rows.map((row) => parseEvent(row.event));
}

/** Counts per UTC hour starting at `fromHour`, oldest first; of several signatures when given several ids. */
export async function hourlyCounts(
  db: Queryable,
  signatureIds: readonly string[],
  fromHour: number,
): Promise<(HourlyCount & { signatureId: string })[]> {
  const { rows } = await db.query<HourlyCount & { signatureId: string }>(
    `SELECT signature_id AS "signatureId", hour_start AS "hourStart", count FROM occurrence_hours
      WHERE signature_id = ANY($1::text[]) AND hour_start >= $2 ORDER BY hour_start`,
    [signatureIds, fromHour],
  );
  return rows;
}

export async function listDiagnoses(db: Queryable, signatureId: string): Promise<Diagnosis[]> {
  const { rows } = await db.query<{ diagnosis: string }>(
    'SELECT diagnosis FROM diagnoses WHERE signature_id = $1 ORDER BY diagnosed_at DESC, id DESC',
    [signatureId],
  );
  return rows.map((row) => parseDiagnosis(row.diagnosis));
}

/** Appends a diagnosis to the history and makes it the signature's current one; the caller holds the row. */
export async function insertDiagnosis(db: Queryable, signatureId: string, diagnosis: Diagnosis, now: number) {
  await db.query(
    `WITH added AS (INSERT INTO diagnoses (signature_id, diagnosis, diagnosed_at, engine, confidence)
        VALUES ($1, $2, $3, $4, $5) RETURNING id)
      UPDATE signatures SET current_diagnosis_id = (SELECT id FROM added), updated_at = $6 WHERE id = $1`,
    [signatureId, JSON.stringify(diagnosis), diagnosis.diagnosedAt, diagnosis.engine, diagnosis.confidence, now],
  );
}

interface NotificationRow {
  signature_id: string;
  channel: string;
  key: string;
  external_ref: string | null;
  at: number;
}

export async function listNotifications(db: Queryable, signatureId: string): Promise<NotificationRecord[]> {
  const { rows } = await db.query<NotificationRow>(
    'SELECT signature_id, channel, key, external_ref, at FROM notifications WHERE signature_id = $1 ORDER BY at, id',
    [signatureId],
  );
  return rows.map((row) => {
    const record = { signatureId: row.signature_id, channel: row.channel, key: row.key, at: row.at };
    return row.external_ref === null ? record : { ...record, externalRef: row.external_ref };
  });
}
