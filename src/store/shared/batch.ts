/**
 * @module What every store does the same way with one batch of a signature's new events: sum them up, and decide
 * which become samples. Pure; each store only writes the result in its own SQL.
 */
import type { ErrorEvent } from '../../domain/index.js';

export interface SampleLimits {
  readonly maxSamplesPerSignature: number;
  readonly maxSamplesPerBatch: number;
  /** Once a signature holds its quota, a new sample replaces the oldest only this long after the last one. */
  readonly sampleSpacingMs: number;
}

/** The per-signature totals of one batch. */
export interface BatchAggregate {
  count: number;
  first: ErrorEvent;
  last: ErrorEvent;
  services: Set<string>;
  environments: Set<string>;
  /** Versions by the earliest timestamp they appear at in this batch, to keep first-seen order. */
  versions: Map<string, number>;
  /** Occurrences per UTC hour start. */
  hours: Map<number, number>;
}

const HOUR_MS = 3_600_000;

/**
 * Sums up a non-empty batch. `text` adapts strings to what the store can hold (PostgreSQL text has no NUL);
 * `time` adapts timestamps to its integer columns.
 */
export function aggregateBatch(
  events: readonly ErrorEvent[],
  text: (value: string) => string = (value) => value,
  time: (ms: number) => number = (ms) => ms,
): BatchAggregate {
  const head = events[0]!;
  const agg: BatchAggregate = {
    count: events.length,
    first: head,
    last: head,
    services: new Set(),
    environments: new Set(),
    versions: new Map(),
    hours: new Map(),
  };
  for (const e of events) {
    if (e.timestamp < agg.first.timestamp) agg.first = e;
    if (e.timestamp > agg.last.timestamp) agg.last = e;
    agg.services.add(text(e.service));
    if (e.environment !== undefined) agg.environments.add(text(e.environment));
    if (e.serviceVersion !== undefined) {
      const version = text(e.serviceVersion);
      const seen = agg.versions.get(version);
      if (seen === undefined || e.timestamp < seen) agg.versions.set(version, e.timestamp);
    }
    const hour = Math.floor(time(e.timestamp) / HOUR_MS) * HOUR_MS;
    agg.hours.set(hour, (agg.hours.get(hour) ?? 0) + 1);
  }
  return agg;
}

export function newestTimestamp(events: readonly ErrorEvent[]): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const e of events) if (e.timestamp > newest) newest = e.timestamp;
  return newest;
}

/** The batch's versions in the order they were first seen. */
export function orderedVersions(firstSeenAt: ReadonlyMap<string, number>): string[] {
  return [...firstSeenAt].sort((a, b) => a[1] - b[1]).map(([version]) => version);
}

/** The newest `maxSamplesPerBatch` events, newest first. */
export function newestSamples(events: readonly ErrorEvent[], limits: SampleLimits): readonly ErrorEvent[] {
  const max = limits.maxSamplesPerBatch;
  return events.length <= max ? events : [...events].sort((a, b) => b.timestamp - a.timestamp).slice(0, max);
}

/**
 * Until a signature holds its quota, each batch adds its newest few events. After that, one new sample replaces
 * the oldest at most every `sampleSpacingMs`: samples spread over time tell a diagnosis more than twenty copies of
 * one burst, and a hot signature then costs no sample writes at all on most batches.
 */
export function chooseSamples(
  fresh: readonly ErrorEvent[],
  agg: BatchAggregate,
  state: { readonly samplesTaken: number; readonly lastSampleAt: number | null },
  limits: SampleLimits,
): readonly ErrorEvent[] {
  if (state.samplesTaken < limits.maxSamplesPerSignature) return newestSamples(fresh, limits);
  return agg.last.timestamp - (state.lastSampleAt ?? 0) >= limits.sampleSpacingMs ? [agg.last] : [];
}
