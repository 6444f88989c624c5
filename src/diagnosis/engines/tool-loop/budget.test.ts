/** @module Tests for the budget rule: investigate, answer now, or make no call at all. */
import { describe, expect, it } from 'vitest';
import { type BudgetPlan, decideNextCall, estimateTokens, worstCaseCallUsd } from './budget.js';

// $1 input and $10 output per million tokens make the arithmetic readable: E(I) = I/1e6 + 0.01.
const plan: BudgetPlan = {
  capUsd: 0.1,
  price: { input: 1, output: 10 },
  maxOutputTokens: 1_000,
  toolResultTokens: 9_000,
};

describe('decideNextCall', () => {
  it('prices a call at its prompt plus the longest reply it could get', () => {
    expect(worstCaseCallUsd(10_000, plan)).toBeCloseTo(0.02, 12);
  });

  it('investigates while the turn and a final answer after it both fit', () => {
    // E(10 000) = 0.02; the answer after it has 10 000 + 1 000 + 9 000 + 500 input tokens: E = 0.0305.
    expect(decideNextCall(0.049, 10_000, plan, true)).toBe('investigate'); // 0.049 + 0.02 + 0.0305 = 0.0995
    expect(decideNextCall(0.0496, 10_000, plan, true)).toBe('answer'); // 0.1001 with the turn, 0.0696 without
  });

  it('answers while the answer alone fits, then stops', () => {
    expect(decideNextCall(0.08, 10_000, plan, true)).toBe('answer');
    expect(decideNextCall(0.08, 10_000, plan, false)).toBe('answer');
    expect(decideNextCall(0.0801, 10_000, plan, false)).toBe('stop');
  });

  it('never stops without a cap', () => {
    const unlimited = { ...plan, capUsd: undefined };
    expect(decideNextCall(1_000, 1_000_000, unlimited, true)).toBe('investigate');
    expect(decideNextCall(1_000, 1_000_000, unlimited, false)).toBe('answer');
  });

  it('estimates tokens conservatively, rounding up', () => {
    expect(estimateTokens(0)).toBe(0);
    expect(estimateTokens(10)).toBe(4);
  });
});
