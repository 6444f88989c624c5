/** @module DiagnosisEngine: turns a signature and its evidence into a root cause. */
import type { Diagnosis, DiagnosisEngineName, ErrorEvent, Signature } from '../domain/index.js';

export interface InvestigationContext {
  readonly signature: Signature;
  readonly samples: readonly ErrorEvent[];
}

export interface DiagnosisEngine {
  readonly name: DiagnosisEngineName;
  diagnose(context: InvestigationContext, signal?: AbortSignal): Promise<Diagnosis>;
}
