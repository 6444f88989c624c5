/**
 * @module The per-diagnosis budget rule, decided before every call. Pure.
 *
 * E(I) is the most a call with I input tokens can cost: I at the full input rate plus `maxOutputTokens` at the
 * output rate (the reply can never be longer). Before each call, with `spent` the cost of the calls so far:
 *
 * - an investigation turn is made only if `spent + E(I) + E(I + maxOutputTokens + toolResultTokens + 500) <= cap`:
 *   the turn itself, plus a final answer after it, whose prompt has grown by at most the turn's reply, the tool
 *   results it asks for and the request to answer (the 500). So answering is always still affordable after a turn;
 * - otherwise the loop stops investigating and makes the final-answer call, if `spent + E(I) <= cap`;
 * - otherwise no call is made and the diagnosis fails with ROUNDS_BUDGET_EXCEEDED.
 *
 * I is the previous call's reported prompt tokens plus its output plus what was appended since, estimated at
 * CHARS_PER_TOKEN characters a token (before the first call: the whole prompt and tool schemas). Three
 * characters a token over-estimates code and English, which run closer to four.
 */
import { costUsd, type ModelPrice } from '../../pricing.js';

export const CHARS_PER_TOKEN = 3;
/** Room for the loop's note asking for the answer, and message framing, in the reserve for the final call. */
export const ANSWER_NOTE_TOKENS = 500;

export interface BudgetPlan {
  /** USD for the whole diagnosis; undefined for no cap. */
  readonly capUsd: number | undefined;
  readonly price: ModelPrice;
  readonly maxOutputTokens: number;
  /** The most tokens one investigation turn's tool results can add (calls per turn x result size). */
  readonly toolResultTokens: number;
}

export type BudgetDecision = 'investigate' | 'answer' | 'stop';

export function estimateTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** The worst-case cost of one call whose prompt is `inputTokens` long. */
export function worstCaseCallUsd(inputTokens: number, plan: BudgetPlan): number {
  return costUsd({ inputTokens, outputTokens: plan.maxOutputTokens }, plan.price);
}

/** `wantsToInvestigate` is false when the loop is answering anyway (turn limit, a retry of the answer). */
export function decideNextCall(
  spentUsd: number,
  inputTokens: number,
  plan: BudgetPlan,
  wantsToInvestigate: boolean,
): BudgetDecision {
  const cap = plan.capUsd;
  const thisCall = worstCaseCallUsd(inputTokens, plan);
  if (cap === undefined) return wantsToInvestigate ? 'investigate' : 'answer';
  if (wantsToInvestigate) {
    const grown = inputTokens + plan.maxOutputTokens + plan.toolResultTokens + ANSWER_NOTE_TOKENS;
    const answerAfter = worstCaseCallUsd(grown, plan);
    if (spentUsd + thisCall + answerAfter <= cap) return 'investigate';
  }
  return spentUsd + thisCall <= cap ? 'answer' : 'stop';
}
