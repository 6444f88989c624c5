/** @module Tests for the Anthropic engine: the shared contract over the real SDK, plus the Messages wire details. */
import { afterEach, describe, expect, it } from 'vitest';
import { startAnthropicStandIn } from '../../../../test/helpers/llm-standins/anthropic.js';
import {
  costLedger,
  investigationContext,
  simplePrompt,
  VALID_ANSWER,
} from '../../../../test/helpers/llm-standins/fixtures.js';
import { reply, toolCall } from '../../../../test/helpers/llm-standins/script.js';
import type { StandIn } from '../../../../test/helpers/llm-standins/server.js';
import { createCodeTools } from '../../tools/index.js';
import { createTestCodebase, type TestCodebase } from '../../tools/testing/codebase.js';
import { type EngineHarness, runEngineContract } from '../tool-loop/engine.contract.js';
import { AnthropicDiagnosisEngine } from './anthropic-engine.js';

interface WireBlock {
  type: string;
  text?: string;
  tool_use_id?: string;
  content?: string;
  is_error?: boolean;
}
interface WireMessage {
  role: string;
  content: string | WireBlock[];
}

const messagesOf = (body: Record<string, unknown>) => body.messages as WireMessage[];
const blocks = (message: WireMessage | undefined): WireBlock[] =>
  typeof message?.content === 'string' ? [{ type: 'text', text: message.content }] : (message?.content ?? []);

const harness: EngineHarness = {
  engine: 'anthropic',
  model: 'claude-sonnet-5-5',
  startStandIn: startAnthropicStandIn,
  createEngine: (baseURL, options) =>
    new AnthropicDiagnosisEngine({
      apiKey: 'test-key',
      model: harness.model,
      baseURL,
      buildPrompt: simplePrompt,
      maxRetries: 0,
      ...options,
    }),
  toolResults: (body) =>
    blocks(messagesOf(body).at(-1))
      .filter((block) => block.type === 'tool_result')
      .map((block) => ({
        id: block.tool_use_id ?? '',
        content: block.content ?? '',
        isError: block.is_error === true,
      })),
  systemPrompt: (body) => body.system as string,
  userText: (body) =>
    messagesOf(body)
      .filter((message) => message.role === 'user')
      .flatMap((message) => blocks(message).flatMap((block) => (block.type === 'text' ? [block.text ?? ''] : [])))
      .join('\n'),
  offeredTools: (body) =>
    (body.tools as { name: string; input_schema: unknown }[]).map((tool) => ({
      name: tool.name,
      schema: tool.input_schema,
    })),
  forcedTool: (body) => {
    const choice = body.tool_choice as { type: string; name?: string } | undefined;
    return choice?.type === 'tool' ? choice.name : undefined;
  },
  // $2 input, $10 output, $0.10 cache reads, $2.50 cache writes per million tokens.
  exactCost: {
    usage: { input: 1_000, output: 500, cacheRead: 2_000, cacheWrite: 400 },
    expectedUsd: (1_000 * 2 + 500 * 10 + 2_000 * 0.1 + 400 * 2.5) / 1e6,
  },
  forcesFinalAnswer: false,
  budgetCapUsd: 0.08,
};

runEngineContract(harness);

describe('AnthropicDiagnosisEngine on the wire', () => {
  let standIn: StandIn | undefined;
  let codebase: TestCodebase | undefined;
  afterEach(async () => {
    await standIn?.close();
    await codebase?.remove();
  });

  it('sends max_tokens, auto tool choice, the tool_use reply verbatim and matching tool_result ids', async () => {
    codebase = await createTestCodebase();
    standIn = await startAnthropicStandIn([
      reply(toolCall('list_directory', { path: 'src' }, 'toolu_42')),
      reply(toolCall('submit_diagnosis', VALID_ANSWER)),
    ]);
    const ledger = costLedger();
    const engine = new AnthropicDiagnosisEngine({
      apiKey: 'sk-ant-test',
      model: 'claude-haiku-4-5',
      baseURL: standIn.url,
      buildPrompt: simplePrompt,
      recordCost: ledger.record,
      tools: createCodeTools({ root: codebase.root }),
      maxOutputTokens: 2_000,
    });
    await engine.diagnose(investigationContext());
    const [first, second] = standIn.requests;
    // SDK 1.x sends the API key as a bearer token (0.x used x-api-key).
    expect(first?.headers.authorization).toBe('Bearer sk-ant-test');
    expect(first?.body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 2_000, tool_choice: { type: 'auto' } });
    const history = messagesOf(second!.body);
    expect(history.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(history[1]?.content).toEqual([
      { type: 'tool_use', id: 'toolu_42', name: 'list_directory', input: { path: 'src' } },
    ]);
    expect(blocks(history[2])).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_42', content: expect.stringContaining('orders/'), is_error: false },
    ]);
  });
});
