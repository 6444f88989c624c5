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
}
