/**
 * @module Gathers the evidence for one signature from plain inputs: samples, trace snapshots, logs, similar
 * signatures, a baseline of attribute maps and (optionally) the codebase. The codebase is the only I/O, through
 * the injected reader. Never throws for bad telemetry: what cannot be used is said in `notes` or
 * `unresolvedFrames`.
 */
import type { Attributes, ErrorEvent, StackFrame, TraceSnapshot } from '../../domain/index.js';
import { type AttributeContrastOptions, contrastAttributes } from './attribute-contrast.js';
import {
  type CodebaseAccess,
  type CodeResolution,
  type CodeResolutionOptions,
  resolveFrameCode,
  unresolvedWithoutCodebase,
} from './code-resolution.js';
import { type CorrelatedLog, type LogSelectionOptions, selectCorrelatedLogs } from './correlated-logs.js';
import type { EvidenceBundle, ServiceVersions, SignatureForEvidence } from './evidence-bundle.js';
import {
  eventAttributeMap,
  rootCauseFrames,
  type SampleEvidence,
  type SampleEvidenceOptions,
  sampleEvidence,
} from './sample-evidence.js';
import { type SimilarSignatureInput, similarEvidence } from './similar-signatures.js';
import { buildTraceTree, type TraceTree, type TraceTreeOptions } from './trace-tree.js';

export interface EvidenceOptions {
  /** Samples used at most, newest first (default 5). */
  readonly maxSamples?: number;
  readonly maxSimilar?: number;
  /** Frames resolved to code at most, innermost first, before grouping into snippets (default 12). */
  readonly maxFramesToResolve?: number;
  readonly code?: CodeResolutionOptions;
  readonly traces?: TraceTreeOptions;
  readonly logs?: LogSelectionOptions;
  readonly contrast?: AttributeContrastOptions;
  readonly samples?: SampleEvidenceOptions;
}

export interface EvidenceInput {
  readonly signature: SignatureForEvidence;
  /** Any order; the newest `maxSamples` are used. */
  readonly samples: readonly ErrorEvent[];
  /** Snapshots of the samples' traces (others are ignored). */
  readonly traces?: readonly TraceSnapshot[];
  /** Candidate logs; only those correlated with a sample (same trace, or same service around the time) are kept. */
  readonly logs?: readonly CorrelatedLog[];
  readonly similar?: readonly SimilarSignatureInput[];
  /** Attribute maps of the same operation's other (mostly successful) spans, seen recently. */
  readonly baseline?: readonly Attributes[];
  /** Absent when no codebase is configured: every in-app frame is then listed as unresolved. */
  readonly codebase?: CodebaseAccess;
  readonly options?: EvidenceOptions;
  /** Notes from gathering the inputs (e.g. loadEvidenceInputs'), carried into the bundle. */
  readonly notes?: readonly string[];
}

const DEFAULT_MAX_SAMPLES = 5;
const DEFAULT_MAX_SIMILAR = 5;
const DEFAULT_MAX_FRAMES_TO_RESOLVE = 12;
/** Without any in-app frame, the innermost frames are still the best guess at where to look. */
const FALLBACK_INNERMOST_FRAMES = 3;

export async function assembleEvidence(input: EvidenceInput): Promise<EvidenceBundle> {
  const options = input.options ?? {};
  const notes: string[] = [...(input.notes ?? [])];
  const newest = [...input.samples]
    .sort((a, b) => b.timestamp - a.timestamp || a.eventId.localeCompare(b.eventId))
    .slice(0, options.maxSamples ?? DEFAULT_MAX_SAMPLES);
  if (newest.length === 0) notes.push('no sample events were available');
  const samples = newest.map((event) => sampleEvidence(event, input.signature.language, options.samples));

  const traces = traceTrees(samples, input.traces ?? [], options.traces, notes);
  const logs = selectCorrelatedLogs(input.logs ?? [], samples, options.logs);
  const similar = (input.similar ?? []).slice(0, options.maxSimilar ?? DEFAULT_MAX_SIMILAR).map(similarEvidence);

  const frames = framesToResolve(input.signature.frames ?? [], samples, options.maxFramesToResolve);
  let code: CodeResolution;
  if (input.codebase) {
    code = await resolveFrameCode(frames, input.codebase, options.code);
    notes.push(...input.codebase.index.notes.map((note) => `codebase: ${note}`));
    if (code.framesOverCap > 0)
      notes.push(`${code.framesOverCap} resolved frame(s) beyond the snippet cap were not read`);
  } else {
    code = {
      snippets: [],
      unresolved: unresolvedWithoutCodebase(frames, 'no codebase is configured'),
      framesOverCap: 0,
    };
  }

  const attributeContrast = contrastAttributes(newest.map(eventAttributeMap), input.baseline ?? [], options.contrast);
  const s = input.signature;
  return {
    // Field by field: a full Signature passed in must not carry its diagnosis, triage or tags into the prompt.
    signature: {
      id: s.id,
      errorType: s.errorType,
      messageTemplate: s.messageTemplate,
      service: s.service,
      services: s.services,
      language: s.language,
      strategy: s.strategy,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
      occurrenceCount: s.occurrenceCount,
      status: s.status,
      versions: s.versions,
      environments: s.environments,
      ...(s.firstVersion === undefined ? {} : { firstVersion: s.firstVersion }),
      ...(s.stackHash === undefined ? {} : { stackHash: s.stackHash }),
    },
    samples,
    traces,
    logs,
    similar,
    services: servicesAffected(input.signature, samples),
    firstSeen: {
      at: input.signature.firstSeen,
      ...(input.signature.firstVersion ? { version: input.signature.firstVersion } : {}),
    },
    code: code.snippets,
    unresolvedFrames: code.unresolved,
    attributeContrast,
    notes,
  };
}

function traceTrees(
  samples: readonly SampleEvidence[],
  snapshots: readonly TraceSnapshot[],
  options: TraceTreeOptions | undefined,
  notes: string[],
): TraceTree[] {
  const byTrace = new Map(snapshots.map((s) => [s.traceId, s]));
  const trees: TraceTree[] = [];
  const done = new Set<string>();
  let missing = 0;
  for (const sample of samples) {
    if (!sample.traceId || done.has(sample.traceId)) continue;
    done.add(sample.traceId);
    const snapshot = byTrace.get(sample.traceId);
    if (snapshot === undefined || snapshot.spans.length === 0) {
      missing += 1;
      continue;
    }
    trees.push(buildTraceTree(snapshot, sample.spanId, options));
  }
  if (missing > 0) notes.push(`${missing} sample trace(s) had no stored spans`);
  return trees;
}

/**
 * In-app frames, innermost first: the signature's own root-cause frames, then any other in-app frame the samples
 * show (a sample can take another path to the same error). Falls back to the innermost frames when none is in-app.
 */
function framesToResolve(
  signatureFrames: readonly StackFrame[],
  samples: readonly SampleEvidence[],
  max = DEFAULT_MAX_FRAMES_TO_RESOLVE,
): StackFrame[] {
  const all = [signatureFrames, ...samples.map(rootCauseFrames)];
  const inApp = all.flatMap((frames) => [...frames].reverse().filter((f) => f.inApp));
  const chosen =
    inApp.length > 0 ? inApp : all.flatMap((frames) => [...frames].reverse().slice(0, FALLBACK_INNERMOST_FRAMES));
  const seen = new Set<string>();
  const unique: StackFrame[] = [];
  for (const frame of chosen) {
    const key = `${frame.file ?? ''}:${frame.line ?? ''}:${frame.module ?? ''}:${frame.function ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(frame);
  }
  return unique.slice(0, max);
}

function servicesAffected(signature: SignatureForEvidence, samples: readonly SampleEvidence[]): ServiceVersions[] {
  const versions = new Map<string, Set<string>>();
  for (const service of [signature.service, ...(signature.services ?? [])]) {
    if (!versions.has(service)) versions.set(service, new Set());
  }
  for (const sample of samples) {
    const set = versions.get(sample.service) ?? new Set<string>();
    if (sample.serviceVersion) set.add(sample.serviceVersion);
    versions.set(sample.service, set);
  }
  return [...versions].map(([service, set]) => ({ service, versions: [...set].sort() }));
}
