/** @module Tests for the price table: prefix matching, overrides, the unknown-model default and cost arithmetic. */
import { describe, expect, it } from 'vitest';
import { costUsd, PRICE_TABLE, parsePriceOverrides, resolvePrice, UNKNOWN_MODEL_PRICE } from './pricing.js';

describe('resolvePrice', () => {
  it('matches dated model ids to their family by the longest prefix', () => {
    expect(resolvePrice('claude-sonnet-4-5-20250929')).toMatchObject({ source: 'table', prefix: 'claude-sonnet-4-5' });
    expect(resolvePrice('claude-opus-4-20250514')).toMatchObject({ prefix: 'claude-opus-4' });
    expect(resolvePrice('claude-opus-4-5')).toMatchObject({ prefix: 'claude-opus-4-5' });
    expect(resolvePrice('gpt-4o-mini-2024-07-18')).toMatchObject({ prefix: 'gpt-4o-mini' });
    expect(resolvePrice('gpt-4o-2024-08-06')).toMatchObject({ prefix: 'gpt-4o' });
    expect(resolvePrice('GPT-5.4-mini')).toMatchObject({ prefix: 'gpt-5.4-mini' });
    expect(resolvePrice('openrouter/anthropic/claude-haiku-4-5')).toMatchObject({ prefix: 'claude-haiku-4-5' });
  });

  it('only matches a prefix that ends at a boundary', () => {
    // "gpt-5" must not price "gpt-5.9" (an unknown, possibly dearer model), nor "gpt-4" price "gpt-4o".
    expect(resolvePrice('gpt-5.9').source).toBe('default');
    expect(resolvePrice('gpt-4o').prefix).toBe('gpt-4o');
    expect(resolvePrice('o3x').source).toBe('default');
  });

  it('prices an unknown model with the conservative default', () => {
    const resolved = resolvePrice('llama3.1:8b');
    expect(resolved).toEqual({ price: UNKNOWN_MODEL_PRICE, source: 'default' });
    // At least as dear as every entry but the pro tiers and the legacy gpt-4, so an unknown model is over-counted.
    for (const [prefix, price] of Object.entries(PRICE_TABLE)) {
      if (prefix.includes('pro') || prefix === 'gpt-4') continue;
      expect(UNKNOWN_MODEL_PRICE.input).toBeGreaterThanOrEqual(price.input);
      expect(UNKNOWN_MODEL_PRICE.output).toBeGreaterThanOrEqual(price.output);
    }
  });

  it('lets overrides win over the table, by longest prefix too', () => {
    const overrides = parsePriceOverrides(
      '{"llama3": {"input": 0, "output": 0}, "claude-sonnet-4": {"input": 1, "output": 2}}',
    );
    expect(resolvePrice('llama3.1:8b').source).toBe('default'); // "." is not a boundary
    expect(resolvePrice('llama3:8b', overrides)).toMatchObject({ source: 'override', price: { input: 0, output: 0 } });
    expect(resolvePrice('claude-sonnet-4-5', overrides)).toMatchObject({
      source: 'override',
      prefix: 'claude-sonnet-4',
    });
  });
});

describe('costUsd', () => {
  it('computes the exact cost of plain input and output', () => {
    const price = resolvePrice('claude-sonnet-4-5').price; // $3 / $15
    expect(costUsd({ inputTokens: 1_000, outputTokens: 500 }, price)).toBe(0.0105);
  });

  it('bills cache reads and writes at their own rates', () => {
    const price = resolvePrice('claude-sonnet-4-5').price; // read 0.30, write 3.75, 1h write 6
    const cost = costUsd(
      {
        inputTokens: 100,
        outputTokens: 10,
        cacheReadTokens: 10_000,
        cacheWriteTokens: 2_000,
        cacheWrite1hTokens: 1_000,
      },
      price,
    );
    expect(cost).toBeCloseTo((100 * 3 + 10 * 15 + 10_000 * 0.3 + 2_000 * 3.75 + 1_000 * 6) / 1e6, 12);
  });

  it('defaults cache rates from the input rate when a price has none', () => {
    const cost = costUsd(
      { inputTokens: 0, outputTokens: 0, cacheReadTokens: 1_000, cacheWriteTokens: 1_000 },
      { input: 4, output: 8 },
    );
    expect(cost).toBeCloseTo((1_000 * 4 + 1_000 * 5) / 1e6, 12);
  });

  it('switches to the long-prompt band when the whole prompt passes its threshold', () => {
    const price = resolvePrice('claude-haiku-5-5').price;
    expect(costUsd({ inputTokens: 100_000, outputTokens: 1_000 }, price)).toBeCloseTo(
      (100_000 * 0.1 + 1_000 * 0.5) / 1e6,
      12,
    );
    expect(costUsd({ inputTokens: 90_000, cacheReadTokens: 20_000, outputTokens: 1_000 }, price)).toBeCloseTo(
      (90_000 * 0.5 + 20_000 * 0.05 + 1_000 * 2.5) / 1e6,
      12,
    );
  });
});

describe('parsePriceOverrides', () => {
  it('reads every field and treats empty input as no overrides', () => {
    expect(parsePriceOverrides(undefined)).toEqual({});
    expect(parsePriceOverrides('  ')).toEqual({});
    expect(
      parsePriceOverrides(
        '{"My-Model": {"input": 1, "output": 2, "cache_read": 0.1, "cache_write": 1.25, "cache_write_1h": 2}}',
      ),
    ).toEqual({ 'my-model': { input: 1, output: 2, cacheRead: 0.1, cacheWrite: 1.25, cacheWrite1h: 2 } });
  });

  it('reports every problem at once, naming the variable', () => {
    const attempt = () =>
      parsePriceOverrides(
        '{"a": {"input": -1, "output": 2}, "b": {"output": 2}, "c": 5, "d": {"input": 1, "output": 1, "cached": 1}}',
        'PRICES',
      );
    expect(attempt).toThrow(
      /PRICES: a\.input: expected a number.*b\.input.*c: expected an object.*d\.cached: unknown field/,
    );
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ROUNDS_INVALID_CONFIG', retryable: false });
    }
  });

  it('rejects text that is not a JSON object', () => {
    expect(() => parsePriceOverrides('{oops')).toThrow(/not valid JSON/);
    expect(() => parsePriceOverrides('[1, 2]')).toThrow(/expected a JSON object/);
  });
});
