import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../domain/index.js';
import { checkCitations } from './citations.js';
import { openCodebase } from './context/index.js';

const CODEBASE = fileURLToPath(new URL('../../test/fixtures/sample-app/code', import.meta.url));
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function diagnosis(overrides: Partial<Diagnosis>): Diagnosis {
  return {
    rootCause: 'The price table has no entry for the SKU.',
    evidence: [],
    suggestedFix: 'Guard the lookup.',
    confidence: 'high',
    model: 'test',
    engine: 'anthropic',
    costUsd: 0.01,
    diagnosedAt: 0,
    ...overrides,
  };
}

describe('checkCitations', () => {
  it('keeps the confidence when every file:line and id exists', async () => {
    const codebase = await openCodebase(CODEBASE);
    const checked = await checkCitations(
      diagnosis({
        evidence: [
          { description: 'The lookup raises', reference: '/app/orders/service.py:14' },
          { description: `The failing span is span:${SPAN}`, reference: `trace:${TRACE}` },
        ],
        suggestedFix: 'Use PRICES.get in orders/service.py#L14.',
      }),
      { codebase, knownIds: new Set([TRACE, SPAN]) },
    );
    expect(checked.confidence).toBe('high');
    expect(checked.citations).toEqual({ checked: 4, unverified: [] });
    expect(checked.notes).toBeUndefined();
  });

  it('lowers the confidence one level and names what could not be verified', async () => {
    const codebase = await openCodebase(CODEBASE);
    const checked = await checkCitations(
      diagnosis({
        evidence: [
          { description: 'Line past the end of the file', reference: 'orders/service.py:9999' },
          { description: 'A file that does not exist', reference: 'orders/payments.py:3' },
          { description: 'An invented span', reference: 'span:aaaaaaaaaaaaaaaa' },
        ],
      }),
      { codebase, knownIds: new Set([TRACE]) },
    );
    expect(checked.confidence).toBe('medium');
    expect(checked.citations?.unverified).toEqual([
      'orders/service.py:9999',
      'orders/payments.py:3',
      'span:aaaaaaaaaaaaaaaa',
    ]);
    expect(checked.notes?.[0]).toContain('3 of 3 citations could not be verified');
  });

  it('cannot verify a file citation without a codebase, and never reads outside it', async () => {
    const codebase = await openCodebase(CODEBASE);
    const outside = await checkCitations(diagnosis({ rootCause: 'See ../../../etc/secrets.py:1' }), {
      codebase,
      knownIds: new Set(),
    });
    expect(outside.citations?.unverified).toHaveLength(1);
    const none = await checkCitations(diagnosis({ rootCause: 'See orders/service.py:14', confidence: 'low' }), {
      knownIds: new Set(),
    });
    expect(none.confidence).toBe('low');
    expect(none.citations?.unverified).toEqual(['orders/service.py:14']);
  });

  it('ignores what is not a citation: URLs, versions, prose', async () => {
    const checked = await checkCitations(
      diagnosis({ rootCause: 'Since v1.4.2 the client calls https://api.example.com:443 ten times.' }),
      { knownIds: new Set() },
    );
    expect(checked.citations).toEqual({ checked: 0, unverified: [] });
  });
});
