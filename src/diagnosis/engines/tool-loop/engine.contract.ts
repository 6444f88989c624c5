/**
 * @module The behaviour both LLM engines share, as one suite each engine's test runs against its real SDK client
 * and a local stand-in server: tool calls, confinement, the one retry of an invalid answer, SDK errors and their
 * retry verdicts, the deadline and the caller's abort, exact costs, the ledger, the turn limit and the budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { costLedger, investigationContext, VALID_ANSWER } from '../../../../test/helpers/llm-standins/fixtures.js';
import {
  delayed,
  hang,
  httpError,
  rateLimited,
  reply,
  type ScriptedStep,
  type ScriptedUsage,
  text,
  toolCall,
} from '../../../../test/helpers/llm-standins/script.js';
import type { StandIn } from '../../../../test/helpers/llm-standins/server.js';
import type { DiagnosisEngine } from '../../../ports/index.js';
import { diagnosisJsonSchema } from '../../output.js';
import { createCodeTools } from '../../tools/index.js';
import { createTestCodebase, type TestCodebase } from '../../tools/testing/codebase.js';
import { TOOL_INSTRUCTIONS } from './instructions.js';
import type { ToolLoopSettings } from './tool-loop-engine.js';

export interface HarnessEngineOptions extends Partial<ToolLoopSettings> {
  readonly model?: string;
  readonly maxRetries?: number;
}

export interface RequestToolResult {
  readonly id: string;
  readonly content: string;
  readonly isError: boolean;
}

export interface EngineHarness {
  readonly engine: 'anthropic' | 'openai';
  /** A model in the price table. */
  readonly model: string;
  startStandIn(script: readonly ScriptedStep[]): Promise<StandIn>;
  createEngine(
    baseURL: string,
    options: HarnessEngineOptions & Pick<ToolLoopSettings, 'tools' | 'recordCost'>,
  ): DiagnosisEngine;
  /** The tool results the request's last turn carried. */
  toolResults(body: Record<string, unknown>): RequestToolResult[];
  /** The system prompt the request carried. */
  systemPrompt(body: Record<string, unknown>): string;
  /** Every user-side text of the conversation (prompt, notes), joined. */
  userText(body: Record<string, unknown>): string;
  offeredTools(body: Record<string, unknown>): { name: string; schema: unknown }[];
  forcedTool(body: Record<string, unknown>): string | undefined;
  /** Usage the stand-in reports, and its exact price for `model`. */
  readonly exactCost: { readonly usage: ScriptedUsage; readonly expectedUsd: number };
  /** Whether the final answer is forced by default. */
  readonly forcesFinalAnswer: boolean;
  /**
   * A cap for `model` that allows the first investigation turn but, once that turn reported 10 000 input and
   * 1 000 output tokens, only the final answer (with maxOutputTokens 1 000 and one tool call per turn).
   */
  readonly budgetCapUsd: number;
}

export function runEngineContract(harness: EngineHarness): void {
  describe(`${harness.engine} engine contract`, () => {
    let standIn: StandIn | undefined;
    let codebase: TestCodebase | undefined;
    afterEach(async () => {
      await standIn?.close();
      await codebase?.remove();
      standIn = undefined;
      codebase = undefined;
    });

    async function setup(script: readonly ScriptedStep[], options: HarnessEngineOptions = {}) {
      codebase = await createTestCodebase();
      standIn = await harness.startStandIn(script);
      const ledger = costLedger();
      const warnings: string[] = [];
      const engine = harness.createEngine(standIn.url, {
        tools: createCodeTools({ root: codebase.root }),
        recordCost: ledger.record,
        warn: (message) => warnings.push(message),
        now: () => 1_000,
        ...options,
      });
      return { engine, ledger, warnings, standIn, bodies: () => standIn!.requests.map((r) => r.body) };
    }

    const submit = (answer: unknown = VALID_ANSWER) => reply(toolCall('submit_diagnosis', answer));

    it('runs the tools the model asks for, then returns its submitted diagnosis with the summed cost', async () => {
      const { engine, ledger, bodies } = await setup([
        reply(
          [
            text('Reading the frame.'),
            toolCall('read_file', { path: 'src/orders/service.ts', start_line: 41, end_line: 43 }),
          ],
          {
            usage: { input: 1_000, output: 100 },
          },
        ),
        reply(toolCall('search_code', { query: 'items.length', path_glob: 'src' }), {
          usage: { input: 2_000, output: 50 },
        }),
        reply(toolCall('submit_diagnosis', VALID_ANSWER), {
          usage: { input: 3_000, output: 200 },
          model: `${harness.model}-20261101`,
        }),
      ]);
      const diagnosis = await engine.diagnose(investigationContext());

      expect(diagnosis).toEqual({
        rootCause: VALID_ANSWER.root_cause,
        evidence: [{ description: 'The division', reference: 'src/orders/service.ts:42' }],
        suggestedFix: VALID_ANSWER.suggested_fix,
        confidence: 'high',
        model: `${harness.model}-20261101`,
        engine: harness.engine,
        costUsd: ledger.entries.reduce((sum, entry) => sum + entry.costUsd, 0),
        diagnosedAt: 1_000,
      });
      expect(diagnosis.costUsd).toBeGreaterThan(0);
      const [first, second, third] = bodies();
      expect(harness.systemPrompt(first!)).toBe(`You diagnose production errors.\n\n${TOOL_INSTRUCTIONS}`);
      expect(harness.userText(first!)).toBe('Diagnose ZeroDivisionError: division by zero');
      const tools = harness.offeredTools(first!);
      expect(tools.map((tool) => tool.name)).toEqual([
        'read_file',
        'search_code',
        'list_directory',
        'submit_diagnosis',
      ]);
      expect(tools.at(-1)?.schema).toMatchObject(diagnosisJsonSchema());
      expect(harness.toolResults(second!)).toEqual([
        expect.objectContaining({
          isError: false,
          content: expect.stringContaining('42|   return total / items.length;'),
        }),
      ]);
      expect(harness.toolResults(third!)[0]?.content).toContain('src/orders/service.ts:42:');
      expect(ledger.entries).toEqual([
        expect.objectContaining({
          signatureId: 'sig_0123456789abcdef',
          engine: harness.engine,
          outcome: 'ok',
          at: 1_000,
        }),
        expect.objectContaining({ outcome: 'ok' }),
        expect.objectContaining({ outcome: 'ok', model: `${harness.model}-20261101` }),
      ]);
    });

    it('refuses a path outside the codebase as a tool error the model sees, and goes on', async () => {
      const { engine, bodies } = await setup([
        reply([
          toolCall('read_file', { path: '../outside/secret.txt' }),
          toolCall('read_file', { path: 'src/escape.txt' }),
          toolCall('list_directory', { path: '/etc' }),
        ]),
        submit(),
      ]);
      await expect(engine.diagnose(investigationContext())).resolves.toMatchObject({ confidence: 'high' });
      const results = harness.toolResults(bodies()[1]!);
      expect(results.map((r) => r.isError)).toEqual([true, true, true]);
      expect(results[0]?.content).toMatch(/outside the codebase/);
      expect(results[1]?.content).toMatch(/link to a location outside/);
      expect(results[2]?.content).toMatch(/absolute paths are not allowed/);
      expect(JSON.stringify(bodies())).not.toContain('outside the root');
    });

    it('sends a schema-invalid answer back with the reason once, and accepts the corrected one', async () => {
      const { engine, ledger, bodies } = await setup([
        submit({ ...VALID_ANSWER, confidence: 'certain', evidence: [] }),
        submit(),
      ]);
      await expect(engine.diagnose(investigationContext())).resolves.toMatchObject({
        rootCause: VALID_ANSWER.root_cause,
      });
      const retry = bodies()[1]!;
      expect(harness.toolResults(retry)[0]).toMatchObject({
        isError: true,
        content: expect.stringMatching(/rejected: .*confidence/s),
      });
      expect(harness.userText(retry)).toContain('Your answer was rejected');
      expect(harness.forcedTool(retry)).toBe(harness.forcesFinalAnswer ? 'submit_diagnosis' : undefined);
      expect(ledger.entries.map((entry) => entry.outcome)).toEqual(['failed', 'ok']);
    });

    it('fails cleanly after malformed JSON and then a schema-invalid answer, with both calls in the ledger', async () => {
      const { engine, ledger, standIn } = await setup([
        reply(text('{"root_cause": "the cart", "evidence": [')),
        submit({ root_cause: 'x' }),
        submit(), // never reached
      ]);
      const error = await engine.diagnose(investigationContext()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ROUNDS_DIAGNOSIS_FAILED', retryable: false });
      expect((error as Error).message).toMatch(/invalid diagnosis twice.*evidence/s);
      expect(standIn.requests).toHaveLength(2);
      expect(ledger.entries.map((entry) => entry.outcome)).toEqual(['failed', 'failed']);
      expect(ledger.entries.every((entry) => entry.costUsd > 0)).toBe(true);
    });

    it('retries a 429 after the retry-after delay (the SDK does it) and records one call', async () => {
      const { engine, ledger, standIn } = await setup([rateLimited(1), submit()], { maxRetries: 2 });
      const started = Date.now();
      await expect(engine.diagnose(investigationContext())).resolves.toMatchObject({ confidence: 'high' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(standIn.requests).toHaveLength(2);
      expect(ledger.entries).toHaveLength(1);
    });

    it('gives up on a 429 once the SDK retries are spent, as a retryable error naming the wait', async () => {
      const limited = httpError(429, { headers: { 'retry-after-ms': '20', 'retry-after': '7' }, message: 'slow down' });
      const { engine, ledger, standIn } = await setup([limited, limited, limited, submit()], { maxRetries: 2 });
      const error = await engine.diagnose(investigationContext()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ROUNDS_ENGINE_UNAVAILABLE', retryable: true });
      expect((error as Error).message).toMatch(/rate limiting requests \(429; retry after 1s\)/);
      expect(standIn.requests).toHaveLength(3);
      expect(ledger.entries).toEqual([expect.objectContaining({ outcome: 'failed', costUsd: 0 })]);
    });

    it('maps a 500 to a retryable error, and lets the SDK retry recover from one', async () => {
      const failing = await setup([httpError(500, { message: 'boom' })], { maxRetries: 0 });
      await expect(failing.engine.diagnose(investigationContext())).rejects.toMatchObject({
        code: 'ROUNDS_ENGINE_UNAVAILABLE',
        retryable: true,
      });
      await standIn?.close();
      await codebase?.remove();
      const recovering = await setup([httpError(503), submit()], { maxRetries: 1 });
      await expect(recovering.engine.diagnose(investigationContext())).resolves.toMatchObject({ confidence: 'high' });
    });

    it.each([
      [401, 'ROUNDS_INVALID_CONFIG'],
      [404, 'ROUNDS_INVALID_CONFIG'],
      [400, 'ROUNDS_DIAGNOSIS_FAILED'],
    ])('maps a %i to %s, not retryable', async (status, code) => {
      const { engine } = await setup([httpError(status)], { maxRetries: 2 });
      await expect(engine.diagnose(investigationContext())).rejects.toMatchObject({ code, retryable: false });
    });

    it('times out a slow response, still recording the calls that completed', async () => {
      const { engine, ledger } = await setup(
        [
          reply(toolCall('list_directory', {}), { usage: { input: 1_000, output: 10 } }),
          delayed(10_000, reply(toolCall('submit_diagnosis', VALID_ANSWER))),
        ],
        { timeoutMs: 800, maxRetries: 0 },
      );
      const started = Date.now();
      const error = await engine.diagnose(investigationContext()).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ROUNDS_TIMEOUT', retryable: true });
      expect((error as Error).message).toMatch(/timed out after 0.8s/);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(ledger.entries).toEqual([
        expect.objectContaining({ outcome: 'ok', costUsd: expect.any(Number) }),
        expect.objectContaining({ outcome: 'aborted', costUsd: 0 }),
      ]);
      expect(ledger.entries[0]!.costUsd).toBeGreaterThan(0);
    });

    it('stops when the caller aborts, and makes no call when the signal is already aborted', async () => {
      const { engine, ledger, standIn } = await setup([hang()]);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await expect(engine.diagnose(investigationContext(), controller.signal)).rejects.toMatchObject({
        code: 'ROUNDS_DIAGNOSIS_FAILED',
        retryable: true,
        message: expect.stringMatching(/aborted/),
      });
      expect(ledger.entries).toEqual([expect.objectContaining({ outcome: 'aborted', costUsd: 0 })]);
      await expect(engine.diagnose(investigationContext(), AbortSignal.abort())).rejects.toMatchObject({
        message: expect.stringMatching(/aborted/),
      });
      expect(standIn.requests).toHaveLength(1);
    });

    it('computes the exact cost from the reported usage', async () => {
      const { engine, ledger } = await setup([
        reply(toolCall('submit_diagnosis', VALID_ANSWER), { usage: harness.exactCost.usage }),
      ]);
      const diagnosis = await engine.diagnose(investigationContext());
      expect(diagnosis.costUsd).toBeCloseTo(harness.exactCost.expectedUsd, 12);
      expect(ledger.entries[0]!.costUsd).toBeCloseTo(harness.exactCost.expectedUsd, 12);
    });

    it('asks for the answer on the last turn', async () => {
      const { engine, bodies } = await setup([reply(toolCall('list_directory', {})), submit()], { maxTurns: 2 });
      await engine.diagnose(investigationContext());
      expect(harness.userText(bodies()[0]!)).not.toContain('investigation turns');
      expect(harness.userText(bodies()[1]!)).toContain('You have used all investigation turns');
      expect(harness.forcedTool(bodies()[1]!)).toBe(harness.forcesFinalAnswer ? 'submit_diagnosis' : undefined);
    });

    it('forces the final answer with tool_choice when configured', async () => {
      const { engine, bodies } = await setup([reply(toolCall('list_directory', {})), submit()], {
        maxTurns: 2,
        forceFinalAnswer: true,
      });
      await engine.diagnose(investigationContext());
      expect(harness.forcedTool(bodies()[0]!)).toBeUndefined();
      expect(harness.forcedTool(bodies()[1]!)).toBe('submit_diagnosis');
    });

    it('rejects other tools once the answer was asked for', async () => {
      const { engine, bodies } = await setup([reply(toolCall('list_directory', {})), submit()], {
        maxTurns: 1,
        forceFinalAnswer: false,
      });
      await engine.diagnose(investigationContext());
      expect(harness.toolResults(bodies()[1]!)).toEqual([
        expect.objectContaining({ isError: true, content: 'not run: call submit_diagnosis now' }),
      ]);
    });

    describe('budget', () => {
      // See budgetCapUsd: after the first turn only the final answer fits (budget.ts has the rule).
      const options = { maxOutputTokens: 1_000, maxToolCallsPerTurn: 1 };

      it('stops investigating when the next turn could pass the cap, and asks for the answer', async () => {
        const { engine, ledger, bodies, standIn } = await setup(
          [reply(toolCall('list_directory', {}), { usage: { input: 10_000, output: 1_000 } }), submit(), submit()],
          { ...options, budgetUsd: harness.budgetCapUsd },
        );
        const diagnosis = await engine.diagnose(investigationContext());
        expect(standIn.requests).toHaveLength(2);
        expect(harness.userText(bodies()[0]!)).not.toContain('cost budget');
        expect(harness.userText(bodies()[1]!)).toContain(
          'The cost budget for this diagnosis leaves room for one more call',
        );
        expect(diagnosis.costUsd).toBeLessThanOrEqual(harness.budgetCapUsd);
        expect(ledger.entries).toHaveLength(2);
      });

      it('makes no call at all when even the answer could pass the cap', async () => {
        const { engine, ledger, standIn } = await setup([submit()], { ...options, budgetUsd: 0.000_01 });
        await expect(engine.diagnose(investigationContext())).rejects.toMatchObject({
          code: 'ROUNDS_BUDGET_EXCEEDED',
          retryable: false,
        });
        expect(standIn.requests).toHaveLength(0);
        expect(ledger.entries).toHaveLength(0);
      });
    });

    it('warns about a model it cannot price and counts it at the conservative default', async () => {
      const { engine, warnings } = await setup(
        [reply(toolCall('submit_diagnosis', VALID_ANSWER), { usage: { input: 1_000, output: 1_000 } })],
        {
          model: 'my-private-model',
        },
      );
      const diagnosis = await engine.diagnose(investigationContext());
      expect(warnings).toEqual([
        expect.stringMatching(/no price is known for .*"my-private-model".*\$15 input \/ \$75 output/),
      ]);
      expect(diagnosis.costUsd).toBeCloseTo((1_000 * 15 + 1_000 * 75) / 1e6, 12);
    });
  });
}
