/** @module Tests for the OpenAI engine: the shared contract over the real SDK, plus the Chat Completions details. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  costLedger,
  investigationContext,
  simplePrompt,
  VALID_ANSWER,
} from '../../../../test/helpers/llm-standins/fixtures.js';
import { startOpenAiStandIn } from '../../../../test/helpers/llm-standins/openai.js';
import { reply, type ScriptedStep, toolCall } from '../../../../test/helpers/llm-standins/script.js';
import type { StandIn } from '../../../../test/helpers/llm-standins/server.js';
import { createCodeTools } from '../../tools/index.js';
import { createTestCodebase, type TestCodebase } from '../../tools/testing/codebase.js';
import { type EngineHarness, runEngineContract } from '../tool-loop/engine.contract.js';
import { OpenAiDiagnosisEngine, type OpenAiEngineOptions } from './openai-engine.js';

interface WireMessage {
  role: string;
  content: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

const messagesOf = (body: Record<string, unknown>) => body.messages as WireMessage[];

const harness: EngineHarness = {
  engine: 'openai',
  model: 'gpt-4.1',
  startStandIn: startOpenAiStandIn,
  createEngine: (baseURL, options) =>
    new OpenAiDiagnosisEngine({
      apiKey: 'test-key',
      model: harness.model,
      baseURL,
      buildPrompt: simplePrompt,
      maxRetries: 0,
      ...options,
    }),
  toolResults: (body) => {
    const messages = messagesOf(body);
    const lastAssistant = messages.findLastIndex((message) => message.role === 'assistant');
    return messages
      .slice(lastAssistant + 1)
      .filter((message) => message.role === 'tool')
      .map((message) => ({
        id: message.tool_call_id ?? '',
        content: (message.content ?? '').replace(/^ERROR: /, ''),
        isError: (message.content ?? '').startsWith('ERROR: '),
      }));
  },
  systemPrompt: (body) => messagesOf(body).find((message) => message.role === 'system')?.content ?? '',
  userText: (body) =>
    messagesOf(body)
      .filter((message) => message.role === 'user')
      .map((message) => message.content ?? '')
      .join('\n'),
  offeredTools: (body) =>
    (body.tools as { function: { name: string; parameters: unknown } }[]).map((tool) => ({
      name: tool.function.name,
      schema: tool.function.parameters,
    })),
  forcedTool: (body) => {
    const choice = body.tool_choice as { type?: string; function?: { name: string } } | string | undefined;
    return typeof choice === 'object' ? choice.function?.name : undefined;
  },
  // $2 input, $8 output, $0.50 cached input per million tokens; prompt_tokens = input + cached.
  exactCost: {
    usage: { input: 1_000, output: 500, cacheRead: 2_000 },
    expectedUsd: (1_000 * 2 + 500 * 8 + 2_000 * 0.5) / 1e6,
  },
  forcesFinalAnswer: true,
  budgetCapUsd: 0.08,
};

runEngineContract(harness);

describe('OpenAiDiagnosisEngine on the wire', () => {
  let standIn: StandIn | undefined;
  let codebase: TestCodebase | undefined;
  afterEach(async () => {
    await standIn?.close();
    await codebase?.remove();
  });

  async function run(script: readonly ScriptedStep[], options: Partial<OpenAiEngineOptions> = {}) {
    codebase = await createTestCodebase();
    standIn = await startOpenAiStandIn(script);
    const ledger = costLedger();
    const warnings: string[] = [];
    const engine = new OpenAiDiagnosisEngine({
      apiKey: 'sk-test',
      model: 'gpt-5.4-mini',
      baseURL: standIn.url,
      buildPrompt: simplePrompt,
      recordCost: ledger.record,
      tools: createCodeTools({ root: codebase.root }),
      warn: (message) => warnings.push(message),
      ...options,
    });
    const diagnosis = await engine.diagnose(investigationContext());
    return { diagnosis, ledger, warnings, requests: standIn.requests };
  }

  it('sends functions, max_completion_tokens, and one tool message per call with its id', async () => {
    const { requests } = await run([
      reply([toolCall('list_directory', {}, 'call_a'), toolCall('read_file', { path: '.env' }, 'call_b')]),
      reply(toolCall('submit_diagnosis', VALID_ANSWER)),
    ]);
    const [first, second] = requests;
    expect(first?.headers.authorization).toBe('Bearer sk-test');
    expect(first?.body).toMatchObject({ model: 'gpt-5.4-mini', max_completion_tokens: 8_192, tool_choice: 'auto' });
    expect(first?.body.max_tokens).toBeUndefined();
    const history = messagesOf(second!.body);
    expect(history.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool']);
    expect(history[2]?.tool_calls?.map((call) => call.id)).toEqual(['call_a', 'call_b']);
    expect(history[3]).toMatchObject({ tool_call_id: 'call_a', content: expect.stringContaining('src/') });
    expect(history[4]).toMatchObject({
      tool_call_id: 'call_b',
      content: expect.stringMatching(/^ERROR: .*credentials/),
    });
  });

  it('uses max_tokens for servers that predate max_completion_tokens', async () => {
    const { requests } = await run([reply(toolCall('submit_diagnosis', VALID_ANSWER))], {
      maxTokensParameter: 'max_tokens',
      maxOutputTokens: 1_234,
    });
    expect(requests[0]?.body).toMatchObject({ max_tokens: 1_234 });
    expect(requests[0]?.body.max_completion_tokens).toBeUndefined();
  });

  it('retries malformed function arguments once, with the parse error', async () => {
    const { diagnosis, requests } = await run([
      reply(toolCall('submit_diagnosis', '{"root_cause": "cart", ')),
      reply(toolCall('submit_diagnosis', VALID_ANSWER)),
    ]);
    expect(diagnosis.confidence).toBe('high');
    const retry = messagesOf(requests[1]!.body);
    expect(retry.find((message) => message.role === 'tool')?.content).toMatch(
      /^ERROR: rejected: the answer is not valid JSON/,
    );
    expect(requests[1]?.body.tool_choice).toEqual({ type: 'function', function: { name: 'submit_diagnosis' } });
  });

  it('accepts a JSON answer given as plain text by a server without tool calling', async () => {
    const { diagnosis } = await run([
      reply({ type: 'text', text: `\`\`\`json\n${JSON.stringify(VALID_ANSWER)}\n\`\`\`` }),
    ]);
    expect(diagnosis.rootCause).toBe(VALID_ANSWER.root_cause);
  });

  it('estimates the cost, and warns once, when the server reports no usage', async () => {
    const { diagnosis, ledger, warnings } = await run(
      [
        reply(toolCall('list_directory', {}), { usage: null }),
        reply(toolCall('submit_diagnosis', VALID_ANSWER), { usage: null }),
      ],
      { prices: { local: { input: 1, output: 1 } }, model: 'local-llama' },
    );
    expect(warnings).toEqual([expect.stringMatching(/reported no token usage; its cost is estimated/)]);
    expect(diagnosis.costUsd).toBeGreaterThan(0);
    expect(ledger.entries).toHaveLength(2);
  });
});
