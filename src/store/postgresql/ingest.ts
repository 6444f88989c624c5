/**
 * @module Batch ingest for the PostgreSQL store: aggregate in memory, then a fixed handful of set-based statements
 * per batch (arrays and JSON record sets), however many events and signatures it holds.
 */
import type { ErrorEvent, Fingerprint, Mute, Signature } from '../../domain/index.js';
import { muteAfter, regresses, signatureIdFor } from '../../domain/index.js';
import type { FingerprintedEvent, StoreIngestResult } from '../../ports/index.js';
import {
  aggregateBatch,
  type BatchAggregate,
  chooseSamples,
  newestTimestamp as newestOf,
  newestSamples,
  orderedVersions,
  type SampleLimits,
} from '../shared/batch.js';
import type { Queryable } from './database.js';
import { pgText, pgTextOrNull, type SignatureRow, sortedUnique, toSignature } from './rows.js';

/** A signature's merged and lifecycle columns as they were before this batch, read under a row lock. */
interface Current {
  id: string;
  services: string[];
  versions: string[];
  environments: string[];
  samples_taken: number;
  last_sample_at: number | null;
  status: string;
  resolved_at: number | null;
  resolved_in_version: string | null;
  muted_at: number | null;
  mute_until: number | null;
  mute_occurrences_left: number | null;
}

/** The events of one signature in this batch (several fingerprint hashes may map to one signature). */
interface Group {
  readonly id: string;
  readonly fingerprint: Fingerprint;
  /** A signature_hashes row pointed at it: it exists. Otherwise it is created, unless another instance just did. */
  mapped: boolean;
  readonly events: ErrorEvent[];
  fresh: ErrorEvent[];
}

/** One row of the batch's signature update; null columns keep their stored value. */
interface UpdateRow {
  id: string;
  count: number;
  first_seen: number;
  last_seen: number;
  services: string[] | null;
  versions: string[] | null;
  first_version: string | null;
  environments: string[] | null;
  samples: number;
  last_sample_at: number | null;
  change: 'regressed' | 'unmuted' | 'spend' | null;
  mute_left: number | null;
}

type CreateRow = Omit<SignatureRow, 'status' | 'tags' | 'created_at' | 'updated_at'> & {
  samples_taken: number;
  last_sample_at: number | null;
};

const STATE_COLUMNS = `id, services, versions, environments, samples_taken, last_sample_at, status, resolved_at,
  resolved_in_version, muted_at, mute_until, mute_occurrences_left`;

const FIND_HASHES = `SELECT DISTINCT ON (hash) hash, signature_id FROM signature_hashes
  WHERE hash = ANY($1::text[]) ORDER BY hash, config_id`;

// Sorted, so that two instances counting overlapping redeliveries take the key locks in the same order.
const MARK_SEEN = `INSERT INTO seen_events (event_id, signature_id, seen_at)
  SELECT u.event_id, u.signature_id, $3::bigint FROM unnest($1::text[], $2::text[]) AS u(event_id, signature_id)
  ORDER BY u.event_id
  ON CONFLICT (event_id) DO NOTHING RETURNING event_id`;

// Two instances may create the same signature at once: the second waits for the first to commit, finds the
// conflict and counts its events as an update instead. Frames and hashes go only with rows this statement created.
const CREATE = `WITH input AS (
    SELECT * FROM json_to_recordset($1::json) AS r(id text, fingerprint text, config_id text, strategy text,
      error_type text, service text, message_template text, stack_hash text, language text, frames text,
      first_seen bigint, last_seen bigint, occurrence_count bigint, services text[], versions text[],
      first_version text, environments text[], samples_taken integer, last_sample_at bigint)
  ), created AS (
    INSERT INTO signatures (id, fingerprint, config_id, strategy, error_type, service, message_template, stack_hash,
      language, first_seen, last_seen, occurrence_count, status, tags, services, versions, first_version,
      environments, samples_taken, last_sample_at, created_at, updated_at)
    SELECT id, fingerprint, config_id, strategy, error_type, service, message_template, stack_hash, language,
      first_seen, last_seen, occurrence_count, 'new', '{}', services, versions, first_version, environments,
      samples_taken, last_sample_at, $2::bigint, $2::bigint
    FROM input ORDER BY id
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  ), frames AS (
    INSERT INTO signature_frames (signature_id, frames) SELECT i.id, i.frames FROM input i JOIN created c USING (id)
  ), hashes AS (
    INSERT INTO signature_hashes (hash, config_id, signature_id)
    SELECT i.fingerprint, i.config_id, i.id FROM input i JOIN created c USING (id) ON CONFLICT DO NOTHING
  )
  SELECT id FROM created`;

// Locks the rows in id order (every instance does), then reads what the counts are about to change.
const LOCK = `SELECT ${STATE_COLUMNS} FROM signatures WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`;

const UPDATE = `UPDATE signatures s SET
    occurrence_count = s.occurrence_count + u.count,
    first_seen = least(s.first_seen, u.first_seen),
    last_seen = greatest(s.last_seen, u.last_seen),
    services = coalesce(u.services, s.services),
    versions = coalesce(u.versions, s.versions),
    first_version = coalesce(s.first_version, u.first_version),
    environments = coalesce(u.environments, s.environments),
    samples_taken = s.samples_taken + u.samples,
    last_sample_at = CASE WHEN u.samples > 0 THEN greatest(coalesce(s.last_sample_at, 0), u.last_sample_at)
      ELSE s.last_sample_at END,
    status = CASE u.change WHEN 'regressed' THEN 'regressed' WHEN 'unmuted' THEN 'new' ELSE s.status END,
    muted_at = CASE WHEN u.change = 'unmuted' THEN NULL ELSE s.muted_at END,
    mute_reason = CASE WHEN u.change = 'unmuted' THEN NULL ELSE s.mute_reason END,
    mute_until = CASE WHEN u.change = 'unmuted' THEN NULL ELSE s.mute_until END,
    mute_occurrences_left = CASE u.change WHEN 'unmuted' THEN NULL WHEN 'spend' THEN u.mute_left
      ELSE s.mute_occurrences_left END,
    updated_at = $2
  FROM json_to_recordset($1::json) AS u(id text, count bigint, first_seen bigint, last_seen bigint,
    services text[], versions text[], first_version text, environments text[], samples integer,
    last_sample_at bigint, change text, mute_left bigint)
  WHERE s.id = u.id`;

const BUMP_HOURS = `INSERT INTO occurrence_hours (hour_start, signature_id, count)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])
  ON CONFLICT (hour_start, signature_id) DO UPDATE SET count = occurrence_hours.count + excluded.count`;

const INSERT_SAMPLES = `INSERT INTO sample_events (signature_id, event_id, trace_id, span_id, timestamp, event)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])`;

// Deleting a trace's last sample deletes its snapshot too: migration 2's trigger.
const TRIM_SAMPLES = `DELETE FROM sample_events WHERE id IN (
  SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY signature_id ORDER BY timestamp DESC, id DESC) AS n
    FROM sample_events WHERE signature_id = ANY($1::text[])) ranked
  WHERE n > $2)`;

const ENQUEUE_REGRESSIONS = `INSERT INTO notification_outbox (signature_id, kind, key, created_at, next_attempt_at)
  SELECT id, 'regression', $2::text, $3::bigint, $3::bigint FROM unnest($1::text[]) AS id
  ON CONFLICT (signature_id, kind, key) DO NOTHING`;

/** Stateless apart from the limits; `run` must be called inside a transaction, and may be retried whole. */
export class PgIngester {
  constructor(private readonly limits: SampleLimits) {}

  async run(db: Queryable, batch: readonly FingerprintedEvent[], now: number): Promise<StoreIngestResult> {
    const byHash = new Map<string, { fingerprint: Fingerprint; events: ErrorEvent[] }>();
    const inBatch = new Set<string>();
    let duplicates = 0;
    for (const { event, fingerprint } of batch) {
      const eventId = pgText(event.eventId);
      if (inBatch.has(eventId)) {
        duplicates++;
        continue;
      }
      inBatch.add(eventId);
      const group = byHash.get(fingerprint.hash);
      if (group) group.events.push(event);
      else byHash.set(fingerprint.hash, { fingerprint, events: [event] });
    }

    // Through signature_hashes rather than the hash itself, so a hash remapped by a config change still lands on
    // its original signature.
    const mapped = new Map<string, string>();
    const found = await db.query<{ hash: string; signature_id: string }>(FIND_HASHES, [[...byHash.keys()]]);
    for (const row of found.rows) mapped.set(row.hash, row.signature_id);
    const groups = new Map<string, Group>();
    for (const [hash, { fingerprint, events }] of byHash) {
      const id = mapped.get(hash) ?? signatureIdFor(hash);
      const group = groups.get(id);
      if (group) {
        group.events.push(...events);
        group.mapped ||= mapped.has(hash);
      } else {
        groups.set(id, { id, fingerprint, mapped: mapped.has(hash), events, fresh: [] });
      }
    }

    const fresh = await this.markSeen(db, groups, now);
    duplicates += inBatch.size - fresh.size;
    const counted = [...groups.values()].filter((g) => {
      g.fresh = g.events.filter((e) => fresh.has(pgText(e.eventId)));
      return g.fresh.length > 0;
    });
    const aggregates = new Map(counted.map((g) => [g.id, aggregateBatch(g.fresh, pgText, ms)]));

    const created = await this.create(
      db,
      counted.filter((g) => !g.mapped),
      aggregates,
      now,
    );
    const toUpdate = counted.filter((g) => !created.has(g.id));
    const current = await this.lock(db, toUpdate);

    const samples = new Map<string, readonly ErrorEvent[]>();
    const updates: UpdateRow[] = [];
    const regressed: string[] = [];
    const unmuted: string[] = [];
    const trim: string[] = [];
    for (const group of counted) {
      const agg = aggregates.get(group.id)!;
      const createdRow = created.get(group.id);
      if (createdRow) {
        samples.set(group.id, createdRow.samples);
        if (createdRow.samples.length > this.limits.maxSamplesPerSignature) trim.push(group.id);
        continue;
      }
      const state = current.get(group.id)!;
      const change = this.decide(state, group.fresh, now);
      if (change.change === 'regressed') regressed.push(group.id);
      else if (change.change === 'unmuted') unmuted.push(group.id);
      const chosen = chooseSamples(
        group.fresh,
        agg,
        { samplesTaken: state.samples_taken, lastSampleAt: state.last_sample_at },
        this.limits,
      );
      samples.set(group.id, chosen);
      if (state.samples_taken + chosen.length > this.limits.maxSamplesPerSignature) trim.push(group.id);
      updates.push({ ...merged(group.id, agg, state), ...change, ...sampleNote(chosen) });
    }

    if (updates.length > 0) await db.query(UPDATE, [JSON.stringify(updates), now]);
    await this.bumpHours(db, aggregates);
    await this.addSamples(db, samples, trim);
    if (regressed.length > 0) await db.query(ENQUEUE_REGRESSIONS, [regressed, String(now), now]);

    const sampledTraceIds = new Set<string>();
    for (const chosen of samples.values()) {
      for (const sample of chosen) if (sample.traceId !== undefined) sampledTraceIds.add(sample.traceId);
    }
    return {
      created: [...created.values()].map((c) => c.signature),
      updated: toUpdate.map((g) => g.id),
      duplicates,
      accepted: fresh.size,
      sampledTraceIds: [...sampledTraceIds],
      regressed,
      unmuted,
    };
  }

  /** Records every eventId of the batch; returns the ones not counted before (by any instance). */
  private async markSeen(db: Queryable, groups: ReadonlyMap<string, Group>, now: number): Promise<Set<string>> {
    const eventIds: string[] = [];
    const signatureIds: string[] = [];
    for (const group of groups.values()) {
      for (const event of group.events) {
        eventIds.push(pgText(event.eventId));
        signatureIds.push(group.id);
      }
    }
    const { rows } = await db.query<{ event_id: string }>(MARK_SEEN, [eventIds, signatureIds, now]);
    return new Set(rows.map((row) => row.event_id));
  }

  /** Creates the signatures no hash pointed at; returns those this transaction created (not another instance). */
  private async create(
    db: Queryable,
    groups: readonly Group[],
    aggregates: ReadonlyMap<string, BatchAggregate>,
    now: number,
  ): Promise<Map<string, { signature: Signature; samples: readonly ErrorEvent[] }>> {
    const result = new Map<string, { signature: Signature; samples: readonly ErrorEvent[] }>();
    if (groups.length === 0) return result;
    const rows = new Map<string, { row: CreateRow; samples: readonly ErrorEvent[] }>();
    for (const group of groups) {
      const agg = aggregates.get(group.id)!;
      const samples = newestSamples(group.fresh, this.limits);
      rows.set(group.id, { row: createRow(group.id, group.fingerprint, agg, samples), samples });
    }
    const input = JSON.stringify([...rows.values()].map((r) => r.row));
    const inserted = new Set((await db.query<{ id: string }>(CREATE, [input, now])).rows.map((row) => row.id));
    // In the batch's order, which is what callers see.
    for (const group of groups) {
      if (!inserted.has(group.id)) continue;
      const { row, samples } = rows.get(group.id)!;
      const signature = toSignature({ ...row, status: 'new', tags: [], created_at: now, updated_at: now });
      result.set(group.id, { signature, samples });
    }
    return result;
  }

  private async lock(db: Queryable, groups: readonly Group[]): Promise<Map<string, Current>> {
    if (groups.length === 0) return new Map();
    const { rows } = await db.query<Current>(LOCK, [groups.map((g) => g.id)]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const group of groups) {
      if (!byId.has(group.id)) throw new Error(`signature ${group.id} vanished while a batch was counting it`);
    }
    return byId;
  }

  /**
   * New occurrences of a resolved signature regress it, unless they all come from releases older than the fix
   * (or happened before the resolve: late telemetry); the regression report is queued in this transaction. A
   * mute ends when its time is up or its occurrence allowance is spent.
   */
  private decide(current: Current, fresh: readonly ErrorEvent[], now: number): Pick<UpdateRow, 'change' | 'mute_left'> {
    if (current.status === 'resolved') {
      const resolvedAt = current.resolved_at ?? 0;
      const after = fresh
        .filter((e) => e.timestamp > resolvedAt)
        .map((e) => pgTextOrNull(e.serviceVersion) ?? undefined);
      const resolution = current.resolved_in_version === null ? {} : { inVersion: current.resolved_in_version };
      if (!regresses({ resolvedAt, ...resolution }, after, current.versions)) return { change: null, mute_left: null };
      return { change: 'regressed', mute_left: null };
    }
    if (current.status === 'muted' && current.muted_at !== null) {
      const mute: Mute = {
        mutedAt: current.muted_at,
        ...(current.mute_until === null ? {} : { until: current.mute_until }),
        ...(current.mute_occurrences_left === null ? {} : { remainingOccurrences: current.mute_occurrences_left }),
      };
      const after = muteAfter(mute, fresh.length, now);
      if (after.expired) return { change: 'unmuted', mute_left: null };
      if (after.remainingOccurrences !== undefined) return { change: 'spend', mute_left: after.remainingOccurrences };
    }
    return { change: null, mute_left: null };
  }

  private async bumpHours(db: Queryable, aggregates: ReadonlyMap<string, BatchAggregate>): Promise<void> {
    const rows: [number, string, number][] = [];
    for (const [id, agg] of aggregates) for (const [hour, count] of agg.hours) rows.push([hour, id, count]);
    if (rows.length === 0) return;
    rows.sort((a, b) => (a[1] === b[1] ? a[0] - b[0] : a[1] < b[1] ? -1 : 1));
    await db.query(BUMP_HOURS, [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])]);
  }

  /** Stores the chosen samples, then trims the signatures that went over quota to their newest ones. */
  private async addSamples(
    db: Queryable,
    samples: ReadonlyMap<string, readonly ErrorEvent[]>,
    trim: readonly string[],
  ): Promise<void> {
    const columns: [string[], string[], (string | null)[], (string | null)[], number[], string[]] = [
      [],
      [],
      [],
      [],
      [],
      [],
    ];
    for (const [id, chosen] of samples) {
      for (const e of chosen) {
        columns[0].push(id);
        columns[1].push(pgText(e.eventId));
        columns[2].push(pgTextOrNull(e.traceId));
        columns[3].push(pgTextOrNull(e.spanId));
        columns[4].push(ms(e.timestamp));
        columns[5].push(JSON.stringify(e));
      }
    }
    if (columns[0].length > 0) await db.query(INSERT_SAMPLES, columns);
    if (trim.length > 0) await db.query(TRIM_SAMPLES, [trim, this.limits.maxSamplesPerSignature]);
  }
}

function createRow(
  id: string,
  fingerprint: Fingerprint,
  agg: BatchAggregate,
  samples: readonly ErrorEvent[],
): CreateRow {
  const versions = orderedVersions(agg.versions);
  return {
    id,
    fingerprint: pgText(fingerprint.hash),
    config_id: pgText(fingerprint.configId),
    strategy: pgText(fingerprint.strategy),
    error_type: pgText(fingerprint.errorType),
    service: pgText(agg.first.service),
    message_template: pgText(fingerprint.messageTemplate),
    stack_hash: pgTextOrNull(fingerprint.stackHash),
    language: pgText(fingerprint.language),
    frames: JSON.stringify(fingerprint.frames),
    first_seen: ms(agg.first.timestamp),
    last_seen: ms(agg.last.timestamp),
    occurrence_count: agg.count,
    services: sortedUnique(agg.services),
    versions,
    first_version: versions[0] ?? null,
    environments: sortedUnique(agg.environments),
    samples_taken: samples.length,
    last_sample_at: samples.length > 0 ? newestTimestamp(samples) : null,
  };
}

/** The count and the merged columns; a merged column is null when the batch brought nothing new to it. */
function merged(
  id: string,
  agg: BatchAggregate,
  current: Current,
): Omit<UpdateRow, 'change' | 'mute_left' | 'samples' | 'last_sample_at'> {
  const newVersions = orderedVersions(agg.versions);
  const services = sortedUnique([...current.services, ...agg.services]);
  const addedVersions = newVersions.filter((v) => !current.versions.includes(v));
  const environments = sortedUnique([...current.environments, ...agg.environments]);
  return {
    id,
    count: agg.count,
    first_seen: ms(agg.first.timestamp),
    last_seen: ms(agg.last.timestamp),
    services: services.length === current.services.length ? null : services,
    versions: addedVersions.length === 0 ? null : [...current.versions, ...addedVersions],
    first_version: newVersions[0] ?? null,
    environments: environments.length === current.environments.length ? null : environments,
  };
}

function sampleNote(samples: readonly ErrorEvent[]): Pick<UpdateRow, 'samples' | 'last_sample_at'> {
  return { samples: samples.length, last_sample_at: samples.length > 0 ? newestTimestamp(samples) : null };
}

/** Epoch milliseconds as the BIGINT columns take them: a fractional time would be refused, so it is rounded. */
function ms(timestamp: number): number {
  return Math.round(timestamp);
}

function newestTimestamp(events: readonly ErrorEvent[]): number {
  return ms(newestOf(events));
}
