/** @module Offline diagnosis engine: a deterministic, rule-based diagnosis from the signature's own evidence. */
import type {
  AttributeValue,
  Diagnosis,
  ErrorEvent,
  EvidenceItem,
  FingerprintStrategy,
  Signature,
  StackFrame,
} from '../../../domain/index.js';
import type { DiagnosisEngine, InvestigationContext } from '../../../ports/index.js';
import { DEFAULT_HINT, fixFamilyFor } from './fix-hints.js';

export const OFFLINE_MODEL = 'offline-rules@2026-11-29';

/** Attributes whose shared value across samples usually localises a failure (a route, a backend, a peer). */
const PATTERN_ATTRIBUTES = [
  'http.route',
  'http.request.method',
  'http.method',
  'http.response.status_code',
  'http.status_code',
  'db.system',
  'db.operation',
  'db.name',
  'rpc.service',
  'rpc.method',
  'messaging.system',
  'messaging.destination.name',
  'server.address',
  'peer.service',
] as const;

const STRATEGY_WORDS: Record<FingerprintStrategy, string> = {
  'exception-in-app': 'grouped by its in-app stack',
  'exception-all-frames': 'grouped by its full stack; no frame is marked in-app',
  'exception-message': 'grouped by exception type and message; no usable stack',
  semconv: 'grouped by OpenTelemetry semantic-convention attributes; no stack trace',
  message: 'grouped by message only; no stack trace or type',
};

const MAX_SAMPLE_EVIDENCE = 5;
const MAX_CALLERS = 3;
const MAX_MESSAGE = 160;
const MAX_SHARED_IN_ROOT_CAUSE = 4;

export interface OfflineEngineOptions {
  /** Clock for `diagnosedAt` only; injected so tests and replays are reproducible. */
  now?: () => number;
}

export class OfflineDiagnosisEngine implements DiagnosisEngine {
  readonly name = 'offline' as const;
  readonly #now: () => number;

  constructor(options: OfflineEngineOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async diagnose(context: InvestigationContext): Promise<Diagnosis> {
    return { ...buildDiagnosis(context), diagnosedAt: this.#now() };
  }
}

/** The whole diagnosis except the clock reading: a pure function of the context. */
export function buildDiagnosis(context: InvestigationContext): Omit<Diagnosis, 'diagnosedAt'> {
  const { signature } = context;
  // Sorted copies so the output does not depend on the order a store returned samples in.
  const samples = [...(context.samples ?? [])].sort(
    (a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId),
  );
  const frames = signature.frames ?? [];
  const inApp = frames.filter((f) => f.inApp);
  const site = inApp.at(-1) ?? frames.at(-1);
  const operation = sharedValue(samples.map((s) => s.operation));
  const patterns = findPatterns(signature, samples, operation);
  // The root cause stays short: signature-level clauses plus one combined clause for what the samples share.
  const clauses = [...patterns.clauses];
  if (patterns.shared.length > 0) {
    clauses.push(`all ${samples.length} samples share ${joinList(patterns.shared.slice(0, MAX_SHARED_IN_ROOT_CAUSE))}`);
  }

  const what = describeError(signature);
  let where: string;
  if (site) where = `${inApp.length > 0 ? '' : 'the innermost frame (not in-app) '}${frameLabel(site)}`;
  else if (operation)
    where = `the operation "${operation}" (${STRATEGY_WORDS[signature.strategy] ?? 'no stack trace'})`;
  else where = `an unknown location (${STRATEGY_WORDS[signature.strategy] ?? 'no stack trace'})`;
  const rootCause = [`${what} is raised in ${where}.`, clauses.length > 0 ? `${capitalise(joinList(clauses))}.` : '']
    .filter(Boolean)
    .join(' ');

  const evidence = buildEvidence(signature, samples, inApp, site, patterns);
  const fixWhere =
    (site && fileLine(site)) ?? (operation ? `the operation "${operation}"` : `the code that emits ${what}`);
  const family = fixFamilyFor(signature.errorType ?? '', signature.messageTemplate ?? '');
  let suggestedFix = (family?.hint ?? DEFAULT_HINT).replaceAll('{where}', fixWhere);
  if (signature.firstVersion && (signature.versions ?? []).length > 1) {
    suggestedFix += ` It first appeared in version ${signature.firstVersion}: review what that release changed around ${fixWhere}.`;
  }

  return {
    rootCause,
    evidence,
    suggestedFix,
    confidence: 'low',
    model: OFFLINE_MODEL,
    engine: 'offline',
    costUsd: 0,
  };
}

function buildEvidence(
  signature: Signature,
  samples: readonly ErrorEvent[],
  inApp: readonly StackFrame[],
  site: StackFrame | undefined,
  patterns: Patterns,
): EvidenceItem[] {
  const evidence: EvidenceItem[] = [];
  if (site) {
    const label = inApp.length > 0 ? 'Innermost in-app frame' : 'Innermost frame (no frame is in-app)';
    evidence.push(withRef(`${label}: ${frameLabel(site)}.`, fileLine(site)));
  }
  // Callers, innermost first, show how execution reached the raising frame.
  for (const caller of inApp.slice(0, -1).reverse().slice(0, MAX_CALLERS)) {
    evidence.push(withRef(`Called from ${frameLabel(caller)}.`, fileLine(caller)));
  }
  const services = signature.services?.length ? signature.services : [signature.service];
  evidence.push({
    description: `${signature.occurrenceCount} occurrence(s) in ${joinList(services)} between ${iso(signature.firstSeen)} and ${iso(signature.lastSeen)}.`,
  });
  const versions = signature.versions ?? [];
  if (versions.length > 0 || signature.firstVersion) {
    const first = signature.firstVersion ?? versions[0];
    evidence.push(
      withRef(
        `Seen in version(s) ${joinList(versions.length > 0 ? versions : [first ?? ''])}; first seen in ${first}.`,
        first,
      ),
    );
  }
  if ((signature.environments?.length ?? 0) > 1) {
    evidence.push({ description: `Environments: ${joinList(signature.environments)}.` });
  }
  for (const clause of patterns.clauses) evidence.push({ description: `${capitalise(clause)}.` });
  for (const item of patterns.shared) evidence.push({ description: `All ${samples.length} samples share ${item}.` });
  for (const sample of samples.slice(0, MAX_SAMPLE_EVIDENCE)) {
    const context = [sample.operation && `in ${sample.operation}`, sample.serviceVersion && `v${sample.serviceVersion}`]
      .filter(Boolean)
      .join(', ');
    evidence.push(
      withRef(
        `Sample at ${iso(sample.timestamp)} from ${sample.service}${context ? ` (${context})` : ''}: ${truncate(sample.message)}`,
        sampleRef(sample),
      ),
    );
  }
  return evidence;
}

interface Patterns {
  /** Signature-level facts (versions, environment), phrased as clauses. */
  clauses: string[];
  /** Values every sample shares, phrased as nouns ("version 1.4.2", "http.route=/orders"). */
  shared: string[];
}

/** What the evidence has in common; a single sample proves nothing shared, so sample patterns need at least two. */
function findPatterns(signature: Signature, samples: readonly ErrorEvent[], operation: string | undefined): Patterns {
  const patterns: string[] = [];
  const shared: string[] = [];
  const versions = signature.versions ?? [];
  if (versions.length === 1) patterns.push(`it is only seen in version ${versions[0]}`);
  else if (signature.firstVersion && versions.length > 1) {
    patterns.push(`it started with version ${signature.firstVersion} (first seen ${iso(signature.firstSeen)})`);
  }
  if (signature.environments?.length === 1) patterns.push(`only in the ${signature.environments[0]} environment`);
  if (samples.length < 2) return { clauses: patterns, shared };
  if (versions.length !== 1) {
    const version = sharedValue(samples.map((s) => s.serviceVersion));
    if (version) shared.push(`version ${version}`);
  }
  if (operation) shared.push(`operation "${operation}"`);
  for (const key of PATTERN_ATTRIBUTES) {
    const value = sharedValue(samples.map((s) => scalar(s.attributes?.[key])));
    if (value !== undefined) shared.push(`${key}=${value}`);
  }
  return { clauses: patterns, shared };
}

/** The one value every entry has, or undefined when any is missing or two differ. */
function sharedValue(values: readonly (string | undefined)[]): string | undefined {
  const first = values[0];
  if (first === undefined || first === '') return undefined;
  return values.every((v) => v === first) ? first : undefined;
}

function scalar(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function describeError(signature: Signature): string {
  const type = signature.errorType?.trim() || 'an error';
  const template = signature.messageTemplate?.trim();
  return template ? `${type} "${truncate(template)}"` : type;
}

function frameLabel(frame: StackFrame): string {
  const name = [frame.module, frame.function].filter(Boolean).join('.') || '<anonymous>';
  const at = fileLine(frame);
  return at ? `${name} (${at})` : name;
}

function fileLine(frame: StackFrame): string | undefined {
  if (!frame.file) return undefined;
  return frame.line === undefined ? frame.file : `${frame.file}:${frame.line}`;
}

function sampleRef(sample: ErrorEvent): string {
  if (sample.traceId)
    return sample.spanId ? `trace:${sample.traceId} span:${sample.spanId}` : `trace:${sample.traceId}`;
  return sample.spanId ? `span:${sample.spanId}` : `event:${sample.eventId}`;
}

function withRef(description: string, reference: string | undefined): EvidenceItem {
  return reference ? { description, reference } : { description };
}

/** ISO time, tolerating corrupt timestamps instead of throwing a RangeError mid-diagnosis. */
function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : 'an unknown time';
}

function truncate(text: string): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
