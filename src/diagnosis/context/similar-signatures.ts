/** @module Past signatures that look like this one, with what their diagnoses concluded. Pure. */
import type { Confidence, Signature } from '../../domain/index.js';
import { clipFlat } from './text.js';

export type SignatureSimilarityFacts = Pick<
  Signature,
  'id' | 'errorType' | 'messageTemplate' | 'service' | 'status' | 'stackHash' | 'frames' | 'diagnosis'
>;

export interface SimilarSignatureEvidence {
  readonly id: string;
  readonly errorType: string;
  readonly messageTemplate: string;
  readonly service: string;
  readonly status: string;
  /** Why it counts as similar, in words. */
  readonly why: string;
  readonly rootCause?: string;
  readonly suggestedFix?: string;
  readonly confidence?: Confidence;
}

export interface SimilarSignatureInput {
  readonly signature: SignatureSimilarityFacts;
  /** Why it counts as similar (shown to the model). */
  readonly why: string;
}

/**
 * Scores each candidate against `signature` (same stack hash, same innermost in-app frame, same error type)
 * and keeps the best `max` that have a diagnosis: a past root cause is what makes a similar signature useful.
 */
export function findSimilarSignatures(
  signature: SignatureSimilarityFacts,
  candidates: readonly SignatureSimilarityFacts[],
  max = 5,
): SimilarSignatureInput[] {
  const site = innermostInApp(signature);
  const scored: { candidate: SignatureSimilarityFacts; score: number; reasons: string[] }[] = [];
  for (const candidate of candidates) {
    if (candidate.id === signature.id || candidate.diagnosis === undefined) continue;
    const reasons: string[] = [];
    let score = 0;
    if (signature.stackHash && candidate.stackHash === signature.stackHash) {
      score += 4;
      reasons.push('same stack');
    }
    if (site && innermostInApp(candidate) === site) {
      score += 2;
      reasons.push(`same innermost frame ${site}`);
    }
    if (candidate.errorType === signature.errorType) {
      score += 1;
      reasons.push(`same error type ${signature.errorType}`);
    }
    if (score === 0) continue;
    if (candidate.service === signature.service) score += 0.5;
    scored.push({ candidate, score, reasons });
  }
  scored.sort((a, b) => b.score - a.score || a.candidate.id.localeCompare(b.candidate.id));
  return scored.slice(0, max).map(({ candidate, reasons }) => ({ signature: candidate, why: reasons.join(', ') }));
}

/** The evidence shape of a similar signature: its identity and what its diagnosis concluded, clipped. */
export function similarEvidence({ signature: candidate, why }: SimilarSignatureInput): SimilarSignatureEvidence {
  const diagnosis = candidate.diagnosis;
  return {
    id: candidate.id,
    errorType: candidate.errorType,
    messageTemplate: clipFlat(candidate.messageTemplate, 300),
    service: candidate.service,
    status: candidate.status,
    why,
    ...(diagnosis
      ? {
          rootCause: clipFlat(diagnosis.rootCause, 800),
          suggestedFix: clipFlat(diagnosis.suggestedFix, 800),
          confidence: diagnosis.confidence,
        }
      : {}),
  };
}

function innermostInApp(signature: Pick<Signature, 'frames'>): string | undefined {
  const frame = [...(signature.frames ?? [])].reverse().find((f) => f.inApp);
  if (!frame) return undefined;
  return [frame.module, frame.function].filter(Boolean).join('.') || undefined;
}
