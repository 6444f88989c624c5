/**
 * @module Prices per model and the cost of one call from the usage the API reported.
 *
 * Prices are USD per million tokens, from the providers' pricing pages as of 2026-11 (Anthropic: platform pricing
 * page; OpenAI: API pricing page). A model is matched by the longest listed prefix of its name that ends at a
 * boundary (`-`, `@`, `:`, `[` or the end), so dated ids (`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`) find
 * their family while `gpt-5` never prices `gpt-5.4`. Overrides (an env-style JSON string) win over the table.
 *
 * An unknown model is priced at UNKNOWN_MODEL_PRICE, the dearest mainstream rates in the table ($15 input /
 * $75 output, Claude Opus 4 and 4.1; only the pro tiers and the legacy gpt-4 cost more, and they are listed):
 * spend on a model we cannot price is over-counted rather than under-counted, so budgets still hold. Local models (Ollama, vLLM, LM Studio) should be given an override, e.g. zero prices.
 */
import { RoundsError } from '../domain/index.js';

export interface Rates {
  /** Uncached input tokens. */
  readonly input: number;
  readonly output: number;
  /** Prompt-cache reads; the input rate when the provider has no discount. */
  readonly cacheRead?: number;
  /** Prompt-cache writes with the default (5-minute) lifetime; 1.25 x input when not given. */
  readonly cacheWrite?: number;
  /** One-hour prompt-cache writes (Anthropic); 2 x input when not given. */
  readonly cacheWrite1h?: number;
}

export interface ModelPrice extends Rates {
  /** A dearer band for long prompts (input + cache reads + cache writes above `promptTokens`), on every token. */
  readonly longPrompt?: { readonly promptTokens: number; readonly rates: Rates };
}

/** Token counts as billed; providers report them differently and each engine's adapter maps them here. */
export interface TokenUsage {
  /** Input tokens billed at the full input rate (i.e. not read from or written to the cache). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
  readonly cacheWrite1hTokens?: number;
}

const claude = (input: number, output: number, cacheWrite: number, cacheRead: number): ModelPrice => ({
  input,
  output,
  cacheWrite,
  cacheRead,
  cacheWrite1h: input * 2,
});
const gpt = (input: number, output: number, cacheRead = input): ModelPrice => ({ input, output, cacheRead });

/** Prefix -> price. Order does not matter: the longest matching prefix wins. */
export const PRICE_TABLE: Readonly<Record<string, ModelPrice>> = {
  // Anthropic
  'claude-fable-5-1': claude(10, 50, 12.5, 0.25),
  'claude-mythos-5-1': claude(10, 50, 12.5, 0.25),
  'claude-fable-5': claude(10, 50, 12.5, 1),
  'claude-mythos-5': claude(10, 50, 12.5, 1),
  'claude-opus-5-5': claude(4, 20, 5, 0.2),
  'claude-opus-5': claude(5, 25, 6.25, 0.5),
  'claude-opus-4-8': claude(5, 25, 6.25, 0.5),
  'claude-opus-4-7': claude(5, 25, 6.25, 0.5),
  'claude-opus-4-6': claude(5, 25, 6.25, 0.5),
  'claude-opus-4-5': claude(5, 25, 6.25, 0.5),
  'claude-opus-4-1': claude(15, 75, 18.75, 1.5),
  'claude-opus-4': claude(15, 75, 18.75, 1.5),
  'claude-3-opus': claude(15, 75, 18.75, 1.5),
  'claude-sonnet-5-5': claude(2, 10, 2.5, 0.1),
  'claude-sonnet-5': claude(2, 10, 2.5, 0.2),
  'claude-sonnet-4-6': claude(3, 15, 3.75, 0.3),
  'claude-sonnet-4-5': claude(3, 15, 3.75, 0.3),
  'claude-sonnet-4': claude(3, 15, 3.75, 0.3),
  'claude-3-7-sonnet': claude(3, 15, 3.75, 0.3),
  'claude-3-5-sonnet': claude(3, 15, 3.75, 0.3),
  'claude-haiku-5-5': {
    ...claude(0.1, 0.5, 0.125, 0.01),
    cacheWrite1h: 0.2,
    longPrompt: {
      promptTokens: 100_000,
      rates: { input: 0.5, output: 2.5, cacheWrite: 0.625, cacheWrite1h: 1, cacheRead: 0.05 },
    },
  },
  'claude-haiku-4-5': claude(1, 5, 1.25, 0.1),
  'claude-3-5-haiku': claude(0.8, 4, 1, 0.08),
  'claude-3-haiku': claude(0.25, 1.25, 0.3, 0.03),
  // OpenAI
  'gpt-5.5-pro': gpt(30, 180),
  'gpt-5.5': gpt(5, 30, 0.5),
  'gpt-5.4-pro': gpt(30, 180),
  'gpt-5.4-mini': gpt(0.75, 4.5, 0.075),
  'gpt-5.4-nano': gpt(0.2, 1.25, 0.02),
  'gpt-5.4': gpt(2.5, 15, 0.25),
  'gpt-5.2': gpt(1.75, 14, 0.175),
  'gpt-5.1': gpt(1.25, 10, 0.125),
  'gpt-5-pro': gpt(15, 120),
  'gpt-5-mini': gpt(0.25, 2, 0.025),
  'gpt-5-nano': gpt(0.05, 0.4, 0.005),
  'gpt-5': gpt(1.25, 10, 0.125),
  'gpt-4.1-mini': gpt(0.4, 1.6, 0.1),
  'gpt-4.1-nano': gpt(0.1, 0.4, 0.025),
  'gpt-4.1': gpt(2, 8, 0.5),
  'gpt-4o-mini': gpt(0.15, 0.6, 0.075),
  'gpt-4o': gpt(2.5, 10, 1.25),
  'gpt-4-turbo': gpt(10, 30),
  'gpt-4': gpt(30, 60),
  'gpt-3.5-turbo': gpt(0.5, 1.5),
  'o4-mini': gpt(1.1, 4.4, 0.275),
  'o3-mini': gpt(1.1, 4.4, 0.55),
  o3: gpt(2, 8, 0.5),
  o1: gpt(15, 60, 7.5),
};

/** See the module comment for why these rates. */
export const UNKNOWN_MODEL_PRICE: ModelPrice = { input: 15, output: 75, cacheRead: 15, cacheWrite: 18.75 };

export type PriceOverrides = Readonly<Record<string, ModelPrice>>;

export interface ResolvedPrice {
  readonly price: ModelPrice;
  readonly source: 'override' | 'table' | 'default';
  /** The prefix that matched, when one did. */
  readonly prefix?: string;
}

/** The price of a model: overrides first, then the table, else UNKNOWN_MODEL_PRICE (the caller warns). */
export function resolvePrice(model: string, overrides: PriceOverrides = {}): ResolvedPrice {
  // A router's provider prefix ("anthropic/claude-sonnet-4-5") does not change the model's price.
  const name = model.trim().toLowerCase().replace(/^.*\//, '');
  const fromOverrides = longestPrefix(name, overrides);
  if (fromOverrides) return { price: fromOverrides[1], source: 'override', prefix: fromOverrides[0] };
  const fromTable = longestPrefix(name, PRICE_TABLE);
  if (fromTable) return { price: fromTable[1], source: 'table', prefix: fromTable[0] };
  return { price: UNKNOWN_MODEL_PRICE, source: 'default' };
}

function longestPrefix(name: string, table: PriceOverrides): [string, ModelPrice] | undefined {
  let best: [string, ModelPrice] | undefined;
  for (const [prefix, price] of Object.entries(table)) {
    const key = prefix.toLowerCase();
    if (!name.startsWith(key)) continue;
    const next = name.charAt(key.length);
    if (next !== '' && !'-@:['.includes(next)) continue;
    if (!best || key.length > best[0].length) best = [key, price];
  }
  return best;
}

/** USD for one call. */
export function costUsd(usage: TokenUsage, price: ModelPrice): number {
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const cacheWrite1h = usage.cacheWrite1hTokens ?? 0;
  const prompt = usage.inputTokens + cacheRead + cacheWrite + cacheWrite1h;
  const rates = price.longPrompt && prompt > price.longPrompt.promptTokens ? price.longPrompt.rates : price;
  // Sum in token x USD-per-million units first, so whole-number rates give exact results.
  const microUnits =
    usage.inputTokens * rates.input +
    usage.outputTokens * rates.output +
    cacheRead * (rates.cacheRead ?? rates.input) +
    cacheWrite * (rates.cacheWrite ?? rates.input * 1.25) +
    cacheWrite1h * (rates.cacheWrite1h ?? rates.input * 2);
  return microUnits / 1_000_000;
}

/**
 * Parses price overrides from an env-style JSON string:
 * `{"llama3": {"input": 0, "output": 0}, "claude-sonnet-5-5": {"input": 2, "output": 10, "cache_read": 0.1}}`.
 * Keys are model-name prefixes; values are USD per million tokens (`input` and `output` required; `cache_read`,
 * `cache_write`, `cache_write_1h` optional). Empty or absent means no overrides. Throws ROUNDS_INVALID_CONFIG
 * listing every problem.
 */
export function parsePriceOverrides(raw: string | undefined, variable = 'DIAGNOSIS_PRICES'): PriceOverrides {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw invalid(variable, [`not valid JSON: ${(error as Error).message}`]);
  }
  if (!isRecord(parsed)) throw invalid(variable, ['expected a JSON object of model prefix -> prices']);
  const problems: string[] = [];
  const overrides: Record<string, ModelPrice> = {};
  for (const [prefix, value] of Object.entries(parsed)) {
    if (prefix.trim() === '') {
      problems.push('a model prefix is empty');
      continue;
    }
    if (!isRecord(value)) {
      problems.push(`${prefix}: expected an object like {"input": 3, "output": 15}`);
      continue;
    }
    const rate = (field: string, required: boolean): number | undefined => {
      const v = value[field];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        problems.push(`${prefix}.${field}: expected a number of zero or more (USD per million tokens)`);
        return undefined;
      }
      return v;
    };
    for (const key of Object.keys(value)) {
      if (!OVERRIDE_FIELDS.includes(key))
        problems.push(`${prefix}.${key}: unknown field (use ${OVERRIDE_FIELDS.join(', ')})`);
    }
    const input = rate('input', true);
    const output = rate('output', true);
    const cacheRead = rate('cache_read', false);
    const cacheWrite = rate('cache_write', false);
    const cacheWrite1h = rate('cache_write_1h', false);
    if (input === undefined || output === undefined) continue;
    overrides[prefix.trim().toLowerCase()] = {
      input,
      output,
      ...(cacheRead === undefined ? {} : { cacheRead }),
      ...(cacheWrite === undefined ? {} : { cacheWrite }),
      ...(cacheWrite1h === undefined ? {} : { cacheWrite1h }),
    };
  }
  if (problems.length > 0) throw invalid(variable, problems);
  return overrides;
}

const OVERRIDE_FIELDS = ['input', 'output', 'cache_read', 'cache_write', 'cache_write_1h'];

function invalid(variable: string, problems: string[]): RoundsError {
  return new RoundsError('ROUNDS_INVALID_CONFIG', `${variable}: ${problems.join('; ')}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
