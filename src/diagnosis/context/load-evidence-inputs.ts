/** @module The store reads evidence needs, behind the smallest slice of SignatureStore. */
import type { ErrorEvent, TraceSnapshot } from '../../domain/index.js';
import type { SignatureStore } from '../../ports/index.js';
import type { SignatureForEvidence } from './evidence-bundle.js';
import {
  findSimilarSignatures,
  type SignatureSimilarityFacts,
  type SimilarSignatureInput,
} from './similar-signatures.js';

export type EvidenceStore = Pick<SignatureStore, 'listSamples' | 'getTraceSnapshot' | 'listSignatures'>;

export interface LoadedEvidenceInputs {
  readonly samples: ErrorEvent[];
  readonly traces: TraceSnapshot[];
  readonly similar: SimilarSignatureInput[];
  /** Reads that failed without failing the whole load (a trace snapshot, the similar-signature scan). */
  readonly notes: string[];
}

export interface LoadEvidenceOptions {
  readonly maxSamples?: number;
  readonly maxSimilar?: number;
  /** Signatures scanned for similar ones, most recently seen first (default 500). */
  readonly similarScanLimit?: number;
}

/**
 * Samples are required: a failing `listSamples` rejects. Trace snapshots and similar signatures are extras:
 * their failures are noted and the load goes on.
 */
export async function loadEvidenceInputs(
  store: EvidenceStore,
  signature: SignatureForEvidence & SignatureSimilarityFacts,
  options: LoadEvidenceOptions = {},
): Promise<LoadedEvidenceInputs> {
  const samples = await store.listSamples(signature.id, options.maxSamples ?? 5);
  const notes: string[] = [];
  const traceIds = [...new Set(samples.map((s) => s.traceId).filter((id): id is string => Boolean(id)))];
  const traces: TraceSnapshot[] = [];
  const snapshots = await Promise.allSettled(traceIds.map((id) => store.getTraceSnapshot(id)));
  let failed = 0;
  for (const result of snapshots) {
    if (result.status === 'rejected') failed += 1;
    else if (result.value) traces.push(result.value);
  }
  if (failed > 0) notes.push(`${failed} trace snapshot(s) could not be read from the store`);

  let similar: SimilarSignatureInput[] = [];
  try {
    const candidates = await store.listSignatures({ limit: options.similarScanLimit ?? 500, orderBy: 'last_seen' });
    similar = findSimilarSignatures(signature, candidates, options.maxSimilar ?? 5);
  } catch {
    notes.push('similar signatures could not be read from the store');
  }
  return { samples, traces, similar, notes };
}
