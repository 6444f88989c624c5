/** @module EvidenceBundle: everything deterministic Rounds gathers before a model reasons about a signature. */
import type { Signature } from '../../domain/index.js';
import type { AttributeContrast } from './attribute-contrast.js';
import type { CodeSnippet, UnresolvedFrame } from './code-resolution.js';
import type { LogEvidence } from './correlated-logs.js';
import type { SampleEvidence } from './sample-evidence.js';
import type { SimilarSignatureEvidence } from './similar-signatures.js';
import type { TraceTree } from './trace-tree.js';

/** The signature fields evidence uses; a Pick so new Signature fields never break assembly. */
export type SignatureForEvidence = Pick<
  Signature,
  | 'id'
  | 'errorType'
  | 'messageTemplate'
  | 'service'
  | 'services'
  | 'language'
  | 'strategy'
  | 'frames'
  | 'firstSeen'
  | 'lastSeen'
  | 'occurrenceCount'
  | 'status'
  | 'versions'
  | 'firstVersion'
  | 'environments'
  | 'stackHash'
>;

export interface ServiceVersions {
  readonly service: string;
  /** Versions seen in this service's samples; empty when the samples carry none. */
  readonly versions: readonly string[];
}

export interface EvidenceBundle {
  readonly signature: Omit<SignatureForEvidence, 'frames'>;
  /** Newest first. */
  readonly samples: readonly SampleEvidence[];
  /** One per sample trace the snapshot list had, in sample order. */
  readonly traces: readonly TraceTree[];
  readonly logs: readonly LogEvidence[];
  readonly similar: readonly SimilarSignatureEvidence[];
  readonly services: readonly ServiceVersions[];
  readonly firstSeen: { readonly at: number; readonly version?: string };
  /** Innermost frame's snippet first. */
  readonly code: readonly CodeSnippet[];
  readonly unresolvedFrames: readonly UnresolvedFrame[];
  readonly attributeContrast: AttributeContrast;
  /** Limits hit and sources missing while gathering, in words; rendered into the prompt. */
  readonly notes: readonly string[];
}
