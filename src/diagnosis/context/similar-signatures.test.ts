import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../domain/index.js';
import { findSimilarSignatures, similarEvidence } from './similar-signatures.js';
import { signatureFor } from './testdata/helpers.js';

const diagnosis: Diagnosis = {
  rootCause: 'PRICES lacks SKUs added after the last catalogue sync.',
  evidence: [],
  suggestedFix: 'Look prices up with a default and alert on unknown SKUs.',
  confidence: 'high',
  model: 'm',
  engine: 'offline',
  costUsd: 0,
  diagnosedAt: 0,
};
const site = {
  module: 'orders.service',
  function: 'line_total',
  file: '/app/orders/service.py',
  line: 14,
  inApp: true,
};

describe('findSimilarSignatures', () => {
  it('ranks diagnosed signatures by shared stack, innermost frame and error type', () => {
    const me = signatureFor({ stackHash: 'h1', frames: [site] });
    const similar = findSimilarSignatures(me, [
      signatureFor({ id: 'sig_same_type', errorType: 'KeyError', diagnosis }),
      signatureFor({ id: 'sig_same_stack', stackHash: 'h1', errorType: 'Other', diagnosis }),
      signatureFor({ id: 'sig_same_site', frames: [site], errorType: 'TypeError', diagnosis }),
      signatureFor({ id: 'sig_undiagnosed', stackHash: 'h1' }),
      signatureFor({ id: 'sig_unrelated', errorType: 'ValueError', diagnosis }),
      { ...me, diagnosis },
    ]);
    expect(similar.map((s) => s.signature.id)).toEqual(['sig_same_stack', 'sig_same_site', 'sig_same_type']);
    expect(similar[1]?.why).toBe('same innermost frame orders.service.line_total');
    const evidence = similarEvidence(similar[0]!);
    expect(evidence).toMatchObject({ id: 'sig_same_stack', rootCause: diagnosis.rootCause, confidence: 'high' });
  });
});
