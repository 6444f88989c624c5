/** @module Inputs for the LLM engine tests: one investigation context, a trivial prompt builder, a valid answer. */
import type { Signature } from '../../../src/domain/index.js';
import type { CostEntry, InvestigationContext } from '../../../src/ports/index.js';

export const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);

export function investigationContext(overrides: Partial<Signature> = {}): InvestigationContext {
  const signature: Signature = {
    id: 'sig_0123456789abcdef',
    fingerprint: '0123456789abcdef'.repeat(4),
    configId: 'fp:test',
    strategy: 'exception-in-app',
    errorType: 'ZeroDivisionError',
    service: 'checkout',
    services: ['checkout'],
    messageTemplate: 'division by zero',
    language: 'python',
    frames: [],
    firstSeen: T0,
    lastSeen: T0,
    occurrenceCount: 3,
    status: 'investigating',
    tags: [],
    versions: [],
    environments: ['production'],
    ...overrides,
  };
  return { signature, samples: [] };
}

/** Stands in for the evidence builder another module owns: just enough text to see it reach the API. */
export const simplePrompt = (context: InvestigationContext) => ({
  system: 'You diagnose production errors.',
  user: `Diagnose ${context.signature.errorType}: ${context.signature.messageTemplate}`,
});

export const VALID_ANSWER = {
  root_cause: 'OrderService.total divides by items.length, which is zero for an empty cart.',
  evidence: [{ description: 'The division', reference: 'src/orders/service.ts:42' }],
  suggested_fix: 'Return 0 before dividing when the cart is empty.',
  confidence: 'high',
} as const;

/** A recordCost callback that keeps what it was given. */
export function costLedger(): { entries: CostEntry[]; record: (entry: CostEntry) => Promise<void> } {
  const entries: CostEntry[] = [];
  return {
    entries,
    record: async (entry) => {
      entries.push(entry);
    },
  };
}
