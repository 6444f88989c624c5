/** @module Batch ingest for the SQLite store: aggregate in memory, then a fixed few writes per signature per batch. */
import type { Database, Statement } from 'better-sqlite3';
import type { ErrorEvent, Fingerprint, Mute, Signature } from '../../domain/index.js';
import { muteAfter, regresses, signatureIdFor } from '../../domain/index.js';
import type { FingerprintedEvent, StoreIngestResult } from '../../ports/index.js';
import {
  aggregateBatch,
  type BatchAggregate,
  chooseSamples,
  newestSamples,
  newestTimestamp,
  orderedVersions,
  type SampleLimits,
} from '../shared/batch.js';
import { parseStrings, type SignatureRow, sortedUnique, toSignature } from './rows.js';

/** The signature's merged columns as they were before this batch (the count update leaves them alone). */
interface Current {
  first_seen: number;
  services: string;
  versions: string;
  environments: string;
  samples_taken: number;
  last_sample_at: number | null;
  status: string;
  resolved_at: number | null;
  resolved_in_version: string | null;
  muted_at: number | null;
  mute_until: number | null;
  mute_occurrences_left: number | null;
}

/** count, last_seen, updated_at, id */
type BumpParams = [number, number, number, string];
/** services, versions, first_version candidate, environments, id */
type MergeParams = [string, string, string | null, string, string];
/** signature_id, event_id, trace_id, span_id, timestamp, event */
type SampleParams = [string, string, string | null, string | null, number, string];

interface Group {
  readonly fingerprint: Fingerprint;
  readonly events: ErrorEvent[];
}

/**
 * Prepared once per open database; `run` must be called inside a transaction. Work per batch is one
 * dedupe insert per event and a constant number of statements per signature, however many events it has.
 */
export class SqliteIngester {
  private readonly findHash: Statement<[string], string>;
  private readonly markSeen: Statement<[string, string, number]>;
  private readonly insertSignature: Statement<
    [SignatureRow & { samples_taken: number; last_sample_at: number | null }]
  >;
  private readonly insertFrames: Statement<[string, string]>;
  private readonly insertHash: Statement<[string, string, string]>;
  private readonly bump: Statement<BumpParams, Current>;
  private readonly setFirstSeen: Statement<[number, string]>;
  private readonly merge: Statement<MergeParams>;
  private readonly bumpHour: Statement<[number, string, number]>;
  private readonly insertSample: Statement<SampleParams>;
  private readonly trimSamples: Statement<[string, number]>;
  private readonly noteSamples: Statement<[number, number, string]>;
  private readonly regress: Statement<[number, string]>;
  private readonly unmute: Statement<[number, string]>;
  private readonly spendMute: Statement<[number, string]>;
  private readonly enqueue: Statement<[string, string, string, number, number]>;

  constructor(
    db: Database,
    private readonly limits: SampleLimits,
  ) {
    this.findHash = db
      .prepare<[string], string>('SELECT signature_id FROM signature_hashes WHERE hash = ? LIMIT 1')
      .pluck();
    this.markSeen = db.prepare('INSERT OR IGNORE INTO seen_events (event_id, signature_id, seen_at) VALUES (?, ?, ?)');
    this.insertSignature =
      db.prepare(`INSERT INTO signatures (id, fingerprint, config_id, strategy, error_type, service,
      message_template, stack_hash, language, first_seen, last_seen, occurrence_count, status, tags, services,
      versions, first_version, environments, samples_taken, last_sample_at, created_at, updated_at)
      VALUES (@id, @fingerprint, @config_id, @strategy, @error_type, @service, @message_template, @stack_hash, @language,
      @first_seen, @last_seen, @occurrence_count, @status, @tags, @services, @versions, @first_version,
      @environments, @samples_taken, @last_sample_at, @created_at, @updated_at)`);
    this.insertFrames = db.prepare('INSERT INTO signature_frames (signature_id, frames) VALUES (?, ?)');
    this.insertHash = db.prepare(
      'INSERT OR IGNORE INTO signature_hashes (hash, config_id, signature_id) VALUES (?, ?, ?)',
    );
    // first_seen and the JSON arrays stay out of this statement: they rarely change, and leaving them out
    // spares rewriting the first_seen index and re-serialising arrays on every batch.
    this.bump =
      db.prepare(`UPDATE signatures SET occurrence_count = occurrence_count + ?, last_seen = max(last_seen, ?),
      updated_at = ? WHERE id = ?
      RETURNING first_seen, services, versions, environments, samples_taken, last_sample_at, status, resolved_at,
        resolved_in_version, muted_at, mute_until, mute_occurrences_left`);
    this.regress = db.prepare(`UPDATE signatures SET status = 'regressed', updated_at = ? WHERE id = ?`);
    this.unmute = db.prepare(`UPDATE signatures SET status = 'new', muted_at = NULL, mute_reason = NULL,
      mute_until = NULL, mute_occurrences_left = NULL, updated_at = ? WHERE id = ?`);
    this.spendMute = db.prepare('UPDATE signatures SET mute_occurrences_left = ? WHERE id = ?');
    this.enqueue = db.prepare(`INSERT INTO notification_outbox (signature_id, kind, key, created_at, next_attempt_at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (signature_id, kind, key) DO NOTHING`);
    this.noteSamples = db.prepare(`UPDATE signatures SET samples_taken = samples_taken + ?,
      last_sample_at = max(coalesce(last_sample_at, 0), ?) WHERE id = ?`);
    this.setFirstSeen = db.prepare('UPDATE signatures SET first_seen = ? WHERE id = ?');
    this.merge =
      db.prepare(`UPDATE signatures SET services = ?, versions = ?, first_version = coalesce(first_version, ?),
      environments = ? WHERE id = ?`);
    this.bumpHour = db.prepare(`INSERT INTO occurrence_hours (hour_start, signature_id, count) VALUES (?, ?, ?)
      ON CONFLICT (hour_start, signature_id) DO UPDATE SET count = count + excluded.count`);
    this.insertSample =
      db.prepare(`INSERT INTO sample_events (signature_id, event_id, trace_id, span_id, timestamp, event)
      VALUES (?, ?, ?, ?, ?, ?)`);
    this.trimSamples = db.prepare(`DELETE FROM sample_events WHERE id IN (SELECT id FROM sample_events
      WHERE signature_id = ? ORDER BY timestamp DESC, id DESC LIMIT -1 OFFSET ?)`);
  }

  run(batch: readonly FingerprintedEvent[], now: number): StoreIngestResult {
    const groups = new Map<string, Group>();
    const inBatch = new Set<string>();
    let duplicates = 0;
    for (const { event, fingerprint } of batch) {
      if (inBatch.has(event.eventId)) {
        duplicates++;
        continue;
      }
      inBatch.add(event.eventId);
      const group = groups.get(fingerprint.hash);
      if (group) group.events.push(event);
      else groups.set(fingerprint.hash, { fingerprint, events: [event] });
    }

    const created: Signature[] = [];
    const updated = new Set<string>();
    const regressed: string[] = [];
    const unmuted: string[] = [];
    const sampledTraceIds = new Set<string>();
    let accepted = 0;
    for (const { fingerprint, events } of groups.values()) {
      // Through signature_hashes rather than the hash itself, so a hash remapped by a config change still
      // lands on its original signature.
      const mapped = this.findHash.get(fingerprint.hash);
      const signatureId = mapped ?? signatureIdFor(fingerprint.hash);
      const fresh = events.filter((e) => this.markSeen.run(e.eventId, signatureId, now).changes > 0);
      duplicates += events.length - fresh.length;
      if (fresh.length === 0) continue;
      accepted += fresh.length;

      const agg = aggregateBatch(fresh);
      let samples: readonly ErrorEvent[];
      let taken: number;
      if (mapped === undefined) {
        samples = newestSamples(fresh, this.limits);
        taken = samples.length;
        created.push(this.create(signatureId, fingerprint, agg, samples, now));
      } else {
        const current = this.update(signatureId, agg, now);
        const change = this.applyDecisions(signatureId, current, fresh, now);
        if (change === 'regressed') regressed.push(signatureId);
        else if (change === 'unmuted') unmuted.push(signatureId);
        samples = chooseSamples(
          fresh,
          agg,
          { samplesTaken: current.samples_taken, lastSampleAt: current.last_sample_at },
          this.limits,
        );
        taken = current.samples_taken + samples.length;
        if (samples.length > 0) this.noteSamples.run(samples.length, newestTimestamp(samples), signatureId);
        updated.add(signatureId);
      }
      for (const [hour, count] of agg.hours) this.bumpHour.run(hour, signatureId, count);
      this.addSamples(signatureId, samples, taken);
      for (const sample of samples) if (sample.traceId !== undefined) sampledTraceIds.add(sample.traceId);
    }
    return {
      created,
      updated: [...updated],
      duplicates,
      accepted,
      sampledTraceIds: [...sampledTraceIds],
      regressed,
      unmuted,
    };
  }

  /**
   * New occurrences of a resolved signature regress it, unless they all come from releases older than the fix
   * (or happened before the resolve: late telemetry); the regression report is queued in this transaction. A
   * mute ends when its time is up or its occurrence allowance is spent.
   */
  private applyDecisions(
    id: string,
    current: Current,
    fresh: readonly ErrorEvent[],
    now: number,
  ): 'regressed' | 'unmuted' | undefined {
    if (current.status === 'resolved') {
      const resolvedAt = current.resolved_at ?? 0;
      const after = fresh.filter((e) => e.timestamp > resolvedAt).map((e) => e.serviceVersion);
      const resolution = current.resolved_in_version === null ? {} : { inVersion: current.resolved_in_version };
      if (!regresses({ resolvedAt, ...resolution }, after, parseStrings(current.versions))) return undefined;
      this.regress.run(now, id);
      this.enqueue.run(id, 'regression', String(now), now, now);
      return 'regressed';
    }
    if (current.status === 'muted' && current.muted_at !== null) {
      const mute: Mute = {
        mutedAt: current.muted_at,
        ...(current.mute_until === null ? {} : { until: current.mute_until }),
        ...(current.mute_occurrences_left === null ? {} : { remainingOccurrences: current.mute_occurrences_left }),
      };
      const after = muteAfter(mute, fresh.length, now);
      if (after.expired) {
        this.unmute.run(now, id);
        return 'unmuted';
      }
      if (after.remainingOccurrences !== undefined) this.spendMute.run(after.remainingOccurrences, id);
    }
    return undefined;
  }

  private create(
    id: string,
    fingerprint: Fingerprint,
    agg: BatchAggregate,
    samples: readonly ErrorEvent[],
    now: number,
  ): Signature {
    const versions = orderedVersions(agg.versions);
    const row: SignatureRow = {
      id,
      fingerprint: fingerprint.hash,
      config_id: fingerprint.configId,
      strategy: fingerprint.strategy,
      error_type: fingerprint.errorType,
      service: agg.first.service,
      message_template: fingerprint.messageTemplate,
      stack_hash: fingerprint.stackHash ?? null,
      language: fingerprint.language,
      frames: JSON.stringify(fingerprint.frames),
      first_seen: agg.first.timestamp,
      last_seen: agg.last.timestamp,
      occurrence_count: agg.count,
      status: 'new',
      tags: '[]',
      services: JSON.stringify(sortedUnique(agg.services)),
      versions: JSON.stringify(versions),
      first_version: versions[0] ?? null,
      environments: JSON.stringify(sortedUnique(agg.environments)),
      created_at: now,
      updated_at: now,
    };
    this.insertSignature.run({
      ...row,
      samples_taken: samples.length,
      last_sample_at: samples.length > 0 ? newestTimestamp(samples) : null,
    });
    this.insertFrames.run(id, row.frames);
    this.insertHash.run(fingerprint.hash, fingerprint.configId, id);
    return toSignature(row);
  }

  /** Counts the batch and returns the signature's sampling state from before it. */
  private update(id: string, agg: BatchAggregate, now: number): Current {
    const current = this.bump.get(agg.count, agg.last.timestamp, now, id)!;
    if (agg.first.timestamp < current.first_seen) this.setFirstSeen.run(agg.first.timestamp, id);
    const newVersions = orderedVersions(agg.versions);
    const services = mergeSorted(current.services, agg.services);
    const versions = mergeInOrder(current.versions, newVersions);
    const environments = mergeSorted(current.environments, agg.environments);
    if (services !== current.services || versions !== current.versions || environments !== current.environments) {
      this.merge.run(services, versions, newVersions[0] ?? null, environments, id);
    }
    return current;
  }

  /**
   * Stores the batch's newest events (at most `maxSamplesPerBatch`), then trims to the newest
   * `maxSamplesPerSignature`. Capping per batch keeps the last N samples while stopping one burst of
   * identical events from wiping out the older, more varied samples a diagnosis benefits from.
   */
  private addSamples(signatureId: string, samples: readonly ErrorEvent[], taken: number): void {
    for (const e of samples) {
      const event = JSON.stringify(e);
      this.insertSample.run(signatureId, e.eventId, e.traceId ?? null, e.spanId ?? null, e.timestamp, event);
    }
    // A signature that never took more samples than it keeps cannot need trimming.
    if (taken > this.limits.maxSamplesPerSignature) {
      this.trimSamples.run(signatureId, this.limits.maxSamplesPerSignature);
    }
  }
}

/** Returns the stored JSON untouched when nothing is new, which is the common case for a repeat. */
function mergeSorted(storedJson: string, incoming: ReadonlySet<string>): string {
  const stored = parseStrings(storedJson);
  const merged = sortedUnique([...stored, ...incoming]);
  return merged.length === stored.length ? storedJson : JSON.stringify(merged);
}

function mergeInOrder(storedJson: string, incoming: readonly string[]): string {
  const stored = parseStrings(storedJson);
  const added = incoming.filter((v) => !stored.includes(v));
  return added.length === 0 ? storedJson : JSON.stringify([...stored, ...added]);
}
