/**
 * @module The CLI's `--output-format json` result envelope. Only what the engine relies on is required; every
 * other field is optional and unknown fields pass through, so a CLI update that adds fields does not break parsing.
 */
import { z } from 'zod';

const modelUsageSchema = z.looseObject({
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  cacheReadInputTokens: z.number().optional(),
  cacheCreationInputTokens: z.number().optional(),
  costUSD: z.number().optional(),
});

export const resultEnvelopeSchema = z.looseObject({
  type: z.literal('result'),
  /** `success`, or `error_during_execution`, `error_max_turns`, `error_max_budget_usd`, `error_max_structured_output_retries`. */
  subtype: z.string(),
  is_error: z.boolean(),
  /** HTTP status of the API error that ended the run; `null` or absent otherwise. */
  api_error_status: z.number().nullish(),
  result: z.string().optional(),
  structured_output: z.unknown().optional(),
  total_cost_usd: z.number().nonnegative().optional(),
  usage: z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() }).optional(),
  modelUsage: z.record(z.string(), modelUsageSchema).optional(),
  num_turns: z.number().optional(),
  terminal_reason: z.string().optional(),
  errors: z.array(z.string()).optional(),
});

export type ResultEnvelope = z.infer<typeof resultEnvelopeSchema>;

/**
 * Finds the envelope in the CLI's stdout. It is one JSON document; the last non-empty line is tried too, in case
 * a CLI version prints a warning before it.
 */
export function parseEnvelope(stdout: string): ResultEnvelope | undefined {
  const text = stdout.trim();
  if (text === '') return undefined;
  const candidates = [text, text.split('\n').at(-1) ?? ''];
  for (const candidate of candidates) {
    let json: unknown;
    try {
      json = JSON.parse(candidate);
    } catch {
      continue;
    }
    const parsed = resultEnvelopeSchema.safeParse(json);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/** The model that did most of the work (the CLI resolves aliases such as `sonnet` to full ids), if it says. */
export function dominantModel(envelope: ResultEnvelope): string | undefined {
  let best: { model: string; cost: number } | undefined;
  for (const [model, usage] of Object.entries(envelope.modelUsage ?? {})) {
    const cost = usage.costUSD ?? 0;
    if (best === undefined || cost > best.cost) best = { model, cost };
  }
  return best?.model;
}
