/**
 * @module What the Anthropic and OpenAI engines share around the tool loop: the prompt, the deadline and the
 * caller's abort signal, the cost ledger, the price lookup, and turning the loop's result or failure into a
 * Diagnosis or a RoundsError. The engines only add their SDK client and provider adapter.
 */
import { type Diagnosis, RoundsError } from '../../../domain/index.js';
import type { CostEntry, InvestigationContext } from '../../../ports/index.js';
import { toDiagnosisFields } from '../../output.js';
import { type PriceOverrides, resolvePrice, UNKNOWN_MODEL_PRICE } from '../../pricing.js';
import type { CodeTool } from '../../tools/index.js';
import { type BudgetPlan, estimateTokens } from './budget.js';
import { failureToError } from './errors.js';
import { TOOL_INSTRUCTIONS } from './instructions.js';
import { type CallRecord, runToolLoop } from './loop.js';
import type { LlmProvider } from './provider.js';

export interface Prompt {
  readonly system: string;
  readonly user: string;
}

/** Builds the evidence prompt for one signature (the context assembler, injected). */
export type PromptBuilder = (context: InvestigationContext) => Prompt | Promise<Prompt>;

/** Options both LLM engines take. */
export interface ToolLoopSettings {
  /** The read-only code tools (`createCodeTools`). */
  readonly tools: readonly CodeTool[];
  readonly buildPrompt: PromptBuilder;
  /** Called once per API call, as soon as it ends, whatever the diagnosis' outcome; awaited. */
  readonly recordCost: (entry: CostEntry) => void | Promise<void>;
  /** Per-diagnosis cap in USD (ANTHROPIC_BUDGET_USD / OPENAI_BUDGET_USD); none when undefined. */
  readonly budgetUsd?: number;
  /** Deadline for the whole diagnosis, every call and tool included. Default 300 000 (5 minutes). */
  readonly timeoutMs?: number;
  /** Most model calls per diagnosis, the final answer included. Default 12. */
  readonly maxTurns?: number;
  /** max_tokens of every call; also the worst case the budget rule assumes. Default 8192. */
  readonly maxOutputTokens?: number;
  /** Tool calls run per turn; extra ones get an error result. Default 6. */
  readonly maxToolCallsPerTurn?: number;
  /** Force the final answer with tool_choice. Defaults differ per engine (see each engine). */
  readonly forceFinalAnswer?: boolean;
  /** Price overrides (`parsePriceOverrides`), matched before the built-in table. */
  readonly prices?: PriceOverrides;
  /** Where warnings go (unknown model price, missing usage). Default: process.emitWarning. */
  readonly warn?: (message: string) => void;
  /** Clock for `diagnosedAt` and cost entries. */
  readonly now?: () => number;
}

export const TOOL_LOOP_DEFAULTS = {
  timeoutMs: 300_000,
  maxTurns: 12,
  maxOutputTokens: 8_192,
  maxToolCallsPerTurn: 6,
} as const;

export class ToolLoopEngine {
  readonly #provider: LlmProvider;
  readonly #settings: ToolLoopSettings;
  readonly #plan: BudgetPlan;
  readonly #warn: (message: string) => void;
  readonly #now: () => number;
  readonly #forceFinalAnswer: boolean;

  constructor(provider: LlmProvider, settings: ToolLoopSettings, defaults: { forceFinalAnswer: boolean }) {
    this.#provider = provider;
    this.#settings = settings;
    this.#warn = settings.warn ?? ((message) => process.emitWarning(message, 'RoundsWarning'));
    this.#now = settings.now ?? Date.now;
    this.#forceFinalAnswer = settings.forceFinalAnswer ?? defaults.forceFinalAnswer;
    const { price, source } = resolvePrice(provider.model, settings.prices);
    if (source === 'default') {
      this.#warn(
        `no price is known for ${provider.engine} model "${provider.model}": its cost is counted at ` +
          `$${UNKNOWN_MODEL_PRICE.input} input / $${UNKNOWN_MODEL_PRICE.output} output per million tokens, ` +
          'which likely over-counts it; give it a price override (zero for a local model)',
      );
    }
    const maxResultChars = Math.max(0, ...settings.tools.map((tool) => tool.maxResultChars));
    this.#plan = {
      capUsd: settings.budgetUsd,
      price,
      maxOutputTokens: settings.maxOutputTokens ?? TOOL_LOOP_DEFAULTS.maxOutputTokens,
      toolResultTokens: estimateTokens(this.maxToolCallsPerTurn * (maxResultChars + 50)),
    };
  }

  get maxToolCallsPerTurn(): number {
    return this.#settings.maxToolCallsPerTurn ?? TOOL_LOOP_DEFAULTS.maxToolCallsPerTurn;
  }

  get maxOutputTokens(): number {
    return this.#plan.maxOutputTokens;
  }

  async diagnose(context: InvestigationContext, signal?: AbortSignal): Promise<Diagnosis> {
    const { engine, model } = this.#provider;
    const timeoutMs = this.#settings.timeoutMs ?? TOOL_LOOP_DEFAULTS.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const failure = (error: unknown) =>
      failureToError(
        this.#provider.classify(error),
        { engine, model, callerAborted: signal?.aborted ?? false, timedOut: deadline.aborted, timeoutMs },
        error,
      );
    if (combined.aborted) throw failure(combined.reason);

    const prompt = await this.#settings.buildPrompt(context);
    const onCall = async (record: CallRecord) => {
      await this.#settings.recordCost({
        signatureId: context.signature.id,
        engine,
        model: record.model,
        costUsd: record.costUsd,
        outcome: record.outcome,
        at: this.#now(),
      });
    };
    try {
      const result = await runToolLoop({
        provider: this.#provider,
        tools: this.#settings.tools,
        prompt: { system: `${prompt.system}\n\n${TOOL_INSTRUCTIONS}`, user: prompt.user },
        plan: this.#plan,
        maxTurns: this.#settings.maxTurns ?? TOOL_LOOP_DEFAULTS.maxTurns,
        maxToolCallsPerTurn: this.maxToolCallsPerTurn,
        forceFinalAnswer: this.#forceFinalAnswer,
        signal: combined,
        onCall,
        warn: this.#warn,
      });
      return {
        ...toDiagnosisFields(result.output),
        model: result.model,
        engine,
        costUsd: result.costUsd,
        diagnosedAt: this.#now(),
      };
    } catch (error) {
      // The loop's own verdicts (budget, invalid answers) and the ledger's errors pass through unchanged.
      if (error instanceof RoundsError && !combined.aborted) throw error;
      throw failure(error);
    }
  }
}
