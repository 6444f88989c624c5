/**
 * @module The provider-neutral tool loop: call the model, run the read-only tools it asks for, repeat until it
 * submits a valid diagnosis, within a turn limit and the per-diagnosis budget (see budget.ts for the exact rule).
 *
 * - The final answer is the `submit_diagnosis` tool call (or, failing that, a JSON object in plain text).
 * - When the turn limit or the budget says so, the model is told to answer now; with `forceFinalAnswer` the call
 *   also sets tool_choice to the submit tool (models with adaptive thinking reject forced tool use, so it is off
 *   by default for Anthropic).
 * - An invalid answer (schema errors, malformed JSON, no answer at all, other tools after being told to answer)
 *   is sent back with the reason once; a second invalid answer fails with ROUNDS_DIAGNOSIS_FAILED.
 * - Every call is reported to `onCall` as soon as it ends, whatever happens later, with its own outcome.
 */
import { RoundsError } from '../../../domain/index.js';
import { checkDiagnosisOutput, type DiagnosisOutput } from '../../output.js';
import { costUsd, type ModelPrice } from '../../pricing.js';
import type { CodeTool } from '../../tools/index.js';
import { type BudgetPlan, decideNextCall, estimateTokens } from './budget.js';
import { finalAnswerNote, rejectedAnswerNote, SUBMIT_TOOL_NAME, submitTool } from './instructions.js';
import type { LlmProvider, ModelReply, ToolCall, ToolResultMessage, ToolSpec } from './provider.js';

export interface CallRecord {
  readonly costUsd: number;
  readonly model: string;
  /** ok: the reply was usable; failed: the call failed or its answer was rejected; aborted: cut off. */
  readonly outcome: 'ok' | 'failed' | 'aborted';
}

export interface LoopOptions {
  readonly provider: LlmProvider;
  readonly tools: readonly CodeTool[];
  readonly prompt: { readonly system: string; readonly user: string };
  readonly plan: BudgetPlan;
  /** Calls at most, the final answer included. */
  readonly maxTurns: number;
  readonly maxToolCallsPerTurn: number;
  readonly forceFinalAnswer: boolean;
  readonly signal: AbortSignal;
  readonly onCall: (record: CallRecord) => Promise<void>;
  readonly warn: (message: string) => void;
}

export interface LoopResult {
  readonly output: DiagnosisOutput;
  /** The model the API reported for the last call, else the configured one. */
  readonly model: string;
  readonly costUsd: number;
  readonly calls: number;
}

export async function runToolLoop(options: LoopOptions): Promise<LoopResult> {
  const { provider, plan, signal } = options;
  const toolsByName = new Map(options.tools.map((tool) => [tool.name, tool]));
  const specs: ToolSpec[] = [
    ...options.tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
    submitTool(),
  ];
  const conversation = provider.start(options.prompt);

  let spent = 0;
  let calls = 0;
  let model = provider.model;
  let answering = false;
  let retried = false;
  let warnedNoUsage = false;
  // Prompt size of the next call: see budget.ts.
  let nextInputTokens = estimateTokens(
    options.prompt.system.length + options.prompt.user.length + JSON.stringify(specs).length,
  );
  const append = (chars: number) => {
    nextInputTokens += estimateTokens(chars);
  };
  const note = (text: string) => {
    conversation.addNote(text);
    append(text.length);
  };

  for (;;) {
    signal.throwIfAborted();
    const decision = decideNextCall(spent, nextInputTokens, plan, !answering && calls < options.maxTurns - 1);
    if (decision === 'stop') {
      throw new RoundsError(
        'ROUNDS_BUDGET_EXCEEDED',
        `the ${provider.engine} diagnosis stopped: another call could cost more than the $${plan.capUsd} left of ` +
          `the per-diagnosis budget ($${spent.toFixed(4)} spent)`,
      );
    }
    if (decision === 'answer' && !answering) {
      answering = true;
      note(finalAnswerNote(calls >= options.maxTurns - 1 ? 'turns' : 'budget'));
    }

    let reply: ModelReply;
    try {
      reply = await conversation.send({
        tools: specs,
        ...(answering && options.forceFinalAnswer ? { forceTool: SUBMIT_TOOL_NAME } : {}),
        signal,
      });
    } catch (error) {
      calls++;
      await options.onCall({ costUsd: 0, model, outcome: signal.aborted ? 'aborted' : 'failed' });
      throw error;
    }
    calls++;
    model = reply.model ?? model;
    let cost: number;
    if (reply.usage) cost = costUsd(reply.usage, plan.price);
    else {
      if (!warnedNoUsage) options.warn(`${provider.engine} (${model}) reported no token usage; its cost is estimated`);
      warnedNoUsage = true;
      cost = estimateCost(nextInputTokens, reply, plan.price);
    }
    spent += cost;
    nextInputTokens = (reply.promptTokens ?? nextInputTokens) + (reply.usage?.outputTokens ?? replyTokens(reply));

    const verdict = judge(reply, answering);
    await options.onCall({ costUsd: cost, model, outcome: verdict.kind === 'rejected' ? 'failed' : 'ok' });
    if (verdict.kind === 'answer') return { output: verdict.output, model, costUsd: spent, calls };

    if (verdict.kind === 'rejected') {
      if (retried) {
        throw new RoundsError(
          'ROUNDS_DIAGNOSIS_FAILED',
          `${provider.engine} (${model}) gave an invalid diagnosis twice; last problem: ${verdict.error}`,
        );
      }
      retried = true;
      answering = true;
      answerCalls(reply.toolCalls, verdict.error);
      note(rejectedAnswerNote(verdict.error));
      continue;
    }

    const results = await runTools(reply.toolCalls, toolsByName, options.maxToolCallsPerTurn, signal);
    conversation.addToolResults(results);
    append(results.reduce((sum, result) => sum + result.content.length + 50, 0));
  }

  /** Tool results for a rejected turn: the API needs one per call, and none of them was run. */
  function answerCalls(toolCalls: readonly ToolCall[], error: string): void {
    if (toolCalls.length === 0) return;
    const results = toolCalls.map((call) => ({
      callId: call.id,
      name: call.name,
      content: call.name === SUBMIT_TOOL_NAME ? `rejected: ${error}` : `not run: call ${SUBMIT_TOOL_NAME} now`,
      isError: true,
    }));
    conversation.addToolResults(results);
    append(results.reduce((sum, result) => sum + result.content.length + 50, 0));
  }
}

type Verdict =
  | { kind: 'answer'; output: DiagnosisOutput }
  | { kind: 'rejected'; error: string }
  | { kind: 'investigate' };

function judge(reply: ModelReply, answering: boolean): Verdict {
  const submitted = reply.toolCalls.find((call) => call.name === SUBMIT_TOOL_NAME);
  if (submitted) {
    const check = checkDiagnosisOutput(submitted.input);
    if (check.ok) return { kind: 'answer', output: check.value };
    const cut = reply.truncated ? ' (the reply hit the output-token limit: keep the diagnosis shorter)' : '';
    return { kind: 'rejected', error: `${check.error}${cut}` };
  }
  if (reply.toolCalls.length > 0) {
    return answering
      ? { kind: 'rejected', error: `no more investigation is possible; only ${SUBMIT_TOOL_NAME} is accepted now` }
      : { kind: 'investigate' };
  }
  // A model that answers in prose may still have written the JSON object.
  const check = checkDiagnosisOutput(reply.text);
  if (check.ok) return { kind: 'answer', output: check.value };
  return { kind: 'rejected', error: `no ${SUBMIT_TOOL_NAME} call, and ${check.error.replace(/^the /, 'the text ')}` };
}

async function runTools(
  calls: readonly ToolCall[],
  tools: ReadonlyMap<string, CodeTool>,
  maxPerTurn: number,
  signal: AbortSignal,
): Promise<ToolResultMessage[]> {
  const results: ToolResultMessage[] = [];
  for (const [index, call] of calls.entries()) {
    signal.throwIfAborted();
    const tool = tools.get(call.name);
    let result: { content: string; isError: boolean };
    if (index >= maxPerTurn) result = { content: `not run: at most ${maxPerTurn} tool calls per turn`, isError: true };
    else if (!tool) result = { content: `unknown tool "${call.name}"`, isError: true };
    else result = await tool.run(call.input, signal);
    results.push({ callId: call.id, name: call.name, ...result });
  }
  return results;
}

function replyTokens(reply: ModelReply): number {
  return estimateTokens(reply.text.length + JSON.stringify(reply.toolCalls).length);
}

/** For servers that report no usage: the estimated prompt plus the reply's size, priced like any call. */
function estimateCost(inputTokens: number, reply: ModelReply, price: ModelPrice): number {
  return costUsd({ inputTokens, outputTokens: replyTokens(reply) }, price);
}
