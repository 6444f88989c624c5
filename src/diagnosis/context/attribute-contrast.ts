/**
 * @module Attribute contrast: which attribute values are over-represented in a signature's events compared with
 * the same operation's other spans (e.g. service.version=1.4.2 in 100% of errors but 10% of traffic).
 * Deterministic and bounded. Pure.
 */
import type { Attributes, AttributeValue } from '../../domain/index.js';
import { isErrorDescriptionKey, isIdentifierKey, looksLikeIdentifierValue } from './attribute-keys.js';

export interface AttributeContrastEntry {
  readonly key: string;
  readonly value: string;
  /** Error events carrying this value, out of `errorTotal`. */
  readonly errorCount: number;
  readonly errorShare: number;
  readonly baselineCount: number;
  /** Baseline attribute sets that report this key at all: a key the baseline never reports is not contrasted. */
  readonly baselineObserved: number;
  readonly baselineShare: number;
  /** errorShare - baselineShare: how much more often the value shows up with the error. Sorting key. */
  readonly strength: number;
}

export interface AttributeContrast {
  readonly entries: readonly AttributeContrastEntry[];
  readonly errorTotal: number;
  readonly baselineTotal: number;
  /** Entries that passed the thresholds but fell beyond `maxEntries`. */
  readonly omitted: number;
  readonly notes: readonly string[];
}

export interface AttributeContrastOptions {
  readonly maxEntries?: number;
  /** A value must be on at least this share of error events (default 0.5). */
  readonly minErrorShare?: number;
  /** And this much more common than in the baseline (default 0.25). */
  readonly minStrength?: number;
  /** Attribute maps read per side at most (default 5000); the rest are ignored, and that is said. */
  readonly maxMaps?: number;
  /** Keys whose distinct values are more than this share of their observations are ids, not patterns (0.5). */
  readonly maxDistinctRatio?: number;
  readonly maxValueChars?: number;
}

const DEFAULTS = {
  maxEntries: 10,
  minErrorShare: 0.5,
  minStrength: 0.25,
  maxMaps: 5000,
  maxDistinctRatio: 0.5,
  maxValueChars: 120,
};
/** Below this many observations a distinct-value ratio says nothing about cardinality. */
const MIN_OBSERVATIONS_FOR_CARDINALITY = 8;
const MAX_KEYS_PER_MAP = 256;

export function contrastAttributes(
  errorAttributes: readonly Attributes[],
  baselineAttributes: readonly Attributes[],
  options: AttributeContrastOptions = {},
): AttributeContrast {
  const limits = { ...DEFAULTS, ...options };
  const notes: string[] = [];
  const errors = errorAttributes.slice(0, limits.maxMaps);
  const baseline = baselineAttributes.slice(0, limits.maxMaps);
  if (errorAttributes.length > errors.length || baselineAttributes.length > baseline.length) {
    notes.push(`only the first ${limits.maxMaps} attribute sets of each side were compared`);
  }
  const empty = { entries: [], errorTotal: errors.length, baselineTotal: baseline.length, omitted: 0 };
  if (errors.length === 0) return { ...empty, notes: [...notes, 'no error events to contrast'] };
  if (baseline.length === 0) {
    return { ...empty, notes: [...notes, 'no baseline of the operation’s other spans: nothing to contrast with'] };
  }
  if (errors.length === 1) notes.push('only one error event: a contrast from one event is weak evidence');

  const errorCounts = countValues(errors, limits.maxValueChars);
  const baselineCounts = countValues(baseline, limits.maxValueChars);
  const highCardinality = highCardinalityKeys([errorCounts, baselineCounts], limits.maxDistinctRatio);
  const minErrorCount = Math.min(2, errors.length);

  const passing: AttributeContrastEntry[] = [];
  const unobserved = new Set<string>();
  for (const [pair, errorCount] of errorCounts.values) {
    const [key, value] = splitPair(pair);
    if (highCardinality.has(key) || errorCount < minErrorCount) continue;
    // Absent from every baseline set means "not reported there", not "never that value": no evidence either way.
    const baselineObserved = baselineCounts.observations.get(key) ?? 0;
    if (baselineObserved === 0) {
      unobserved.add(key);
      continue;
    }
    const errorShare = errorCount / errors.length;
    const baselineCount = baselineCounts.values.get(pair) ?? 0;
    const baselineShare = baselineCount / baselineObserved;
    const strength = errorShare - baselineShare;
    if (errorShare < limits.minErrorShare || strength < limits.minStrength) continue;
    passing.push({ key, value, errorCount, errorShare, baselineCount, baselineObserved, baselineShare, strength });
  }
  if (unobserved.size > 0) {
    notes.push(`${unobserved.size} attribute key(s) the baseline does not report were not contrasted`);
  }
  passing.sort(
    (a, b) =>
      b.strength - a.strength || b.errorCount - a.errorCount || compare(a.key, b.key) || compare(a.value, b.value),
  );
  const entries = passing.slice(0, limits.maxEntries);
  return {
    entries,
    errorTotal: errors.length,
    baselineTotal: baseline.length,
    omitted: passing.length - entries.length,
    notes,
  };
}

/** "service.version=1.4.2: 5/5 errors (100%) vs 2/20 baseline (10%)". */
export function describeContrast(
  entry: AttributeContrastEntry,
  contrast: Pick<AttributeContrast, 'errorTotal' | 'baselineTotal'>,
): string {
  return `${entry.key}=${entry.value}: ${entry.errorCount}/${contrast.errorTotal} errors (${percent(entry.errorShare)}) vs ${entry.baselineCount}/${contrast.baselineTotal} baseline (${percent(entry.baselineShare)})`;
}

interface ValueCounts {
  /** `key\u0000value` → number of maps carrying it. */
  readonly values: Map<string, number>;
  /** key → maps carrying the key at all. */
  readonly observations: Map<string, number>;
}

function countValues(maps: readonly Attributes[], maxValueChars: number): ValueCounts {
  const values = new Map<string, number>();
  const observations = new Map<string, number>();
  for (const map of maps) {
    let keys = 0;
    for (const [key, raw] of Object.entries(map ?? {})) {
      if (++keys > MAX_KEYS_PER_MAP) break;
      if (isIdentifierKey(key) || isErrorDescriptionKey(key)) continue;
      const value = scalar(raw);
      if (value === undefined || value.length > maxValueChars || looksLikeIdentifierValue(value)) continue;
      const pair = `${key}\u0000${value}`;
      values.set(pair, (values.get(pair) ?? 0) + 1);
      observations.set(key, (observations.get(key) ?? 0) + 1);
    }
  }
  return { values, observations };
}

function highCardinalityKeys(sides: readonly ValueCounts[], maxDistinctRatio: number): Set<string> {
  const distinct = new Map<string, number>();
  const observed = new Map<string, number>();
  for (const side of sides) {
    for (const [key, n] of side.observations) observed.set(key, (observed.get(key) ?? 0) + n);
  }
  const seenPairs = new Set<string>();
  for (const side of sides) {
    for (const pair of side.values.keys()) {
      if (seenPairs.has(pair)) continue;
      seenPairs.add(pair);
      const [key] = splitPair(pair);
      distinct.set(key, (distinct.get(key) ?? 0) + 1);
    }
  }
  const high = new Set<string>();
  for (const [key, n] of observed) {
    if (n >= MIN_OBSERVATIONS_FOR_CARDINALITY && (distinct.get(key) ?? 0) / n > maxDistinctRatio) high.add(key);
  }
  return high;
}

function scalar(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function splitPair(pair: string): [string, string] {
  const at = pair.indexOf('\u0000');
  return [pair.slice(0, at), pair.slice(at + 1)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
