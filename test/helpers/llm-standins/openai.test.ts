/** @module Tests for the OpenAI stand-in: the real SDK reads its completions and its errors. */
import { OpenAI, RateLimitError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAiStandIn } from './openai.js';
import { httpError, reply, type ScriptedStep, text, toolCall } from './script.js';
import type { StandIn } from './server.js';

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function client(script: readonly ScriptedStep[]): Promise<OpenAI> {
  standIn = await startOpenAiStandIn(script);
  return new OpenAI({ apiKey: 'test', baseURL: standIn.url, maxRetries: 0, timeout: 2_000 });
}

const params = { model: 'gpt-4.1', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('OpenAI stand-in', () => {
  it('renders text, tool calls (malformed arguments kept as sent) and usage with cached tokens inside prompt_tokens', async () => {
    const sdk = await client([
      reply([text('Looking.'), toolCall('read_file', { path: 'a.ts' }, 'call_1'), toolCall('submit', '{"broken": ')], {
        usage: { input: 10, output: 5, cacheRead: 30 },
      }),
    ]);
    const completion = await sdk.chat.completions.create(params);
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: 'Looking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } },
          { type: 'function', function: { name: 'submit', arguments: '{"broken": ' } },
        ],
      },
    });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 40,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 30 },
    });
    expect(standIn!.requests[0]?.path).toBe('/v1/chat/completions');
  });

  it('omits usage when told to, and reports a cut reply as length', async () => {
    const sdk = await client([reply(text('...'), { usage: null, stop: 'max_tokens' })]);
    const completion = await sdk.chat.completions.create(params);
    expect(completion.usage).toBeUndefined();
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });

  it('answers errors in the API error shape with their headers', async () => {
    const sdk = await client([httpError(429, { headers: { 'retry-after': '2' }, message: 'slow down' })]);
    const error = await sdk.chat.completions.create(params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).headers.get('retry-after')).toBe('2');
    expect((error as RateLimitError).message).toContain('slow down');
  });
});
