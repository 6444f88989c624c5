/** @module Diagnosis: what an engine concluded about a signature's root cause. */

export type Confidence = 'high' | 'medium' | 'low';
export type DiagnosisEngineName = 'claude_code' | 'anthropic' | 'openai' | 'offline';

export interface EvidenceItem {
  /** What the evidence says, in one sentence. */
  description: string;
  /** Where it points: a file:line, a frame, a span id or a log line. */
  reference?: string;
}

export interface Diagnosis {
  rootCause: string;
  evidence: EvidenceItem[];
  suggestedFix: string;
  confidence: Confidence;
  model: string;
  engine: DiagnosisEngineName;
  costUsd: number;
  /** Milliseconds since the Unix epoch. */
  diagnosedAt: number;
  /** What the citation check found: references it could not verify lower the confidence one level. */
  citations?: CitationCheck;
  /** Facts about how the diagnosis was made that a reader should know (budget fallback, trimmed evidence). */
  notes?: string[];
}

export interface CitationCheck {
  /** File:line, span and trace references that were checked. */
  checked: number;
  /** The references among them that do not exist in the codebase or the telemetry. */
  unverified: string[];
}

const LOWER: Readonly<Record<Confidence, Confidence>> = { high: 'medium', medium: 'low', low: 'low' };

/** One confidence level down; `low` stays `low`. */
export function lowerConfidence(confidence: Confidence): Confidence {
  return LOWER[confidence];
}
