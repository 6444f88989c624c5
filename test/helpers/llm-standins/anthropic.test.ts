/** @module Tests for the Anthropic stand-in: the real SDK reads its JSON and its SSE alike, errors included. */
import { Anthropic, RateLimitError } from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startAnthropicStandIn } from './anthropic.js';
import { hang, httpError, reply, type ScriptedStep, text, toolCall } from './script.js';
import type { StandIn } from './server.js';

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function client(script: readonly ScriptedStep[]): Promise<Anthropic> {
  standIn = await startAnthropicStandIn(script);
  return new Anthropic({ apiKey: 'test', baseURL: standIn.url, maxRetries: 0, timeout: 2_000 });
}

const params = { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };
const turn = reply([text('Let me look.'), toolCall('read_file', { path: 'src/a.ts' }, 'toolu_1')], {
  usage: { input: 12, output: 34, cacheRead: 5, cacheWrite: 6 },
});

describe('Anthropic stand-in', () => {
  it('renders the same scripted turn as JSON and as an SSE stream the SDK assembles identically', async () => {
    const sdk = await client([turn, turn]);
    const json = await sdk.messages.create(params);
    const streamed = await sdk.messages.stream(params).finalMessage();
    const comparable = (message: Anthropic.Message) => ({
      content: message.content,
      stop_reason: message.stop_reason,
      model: message.model,
      usage: {
        input_tokens: message.usage.input_tokens,
        output_tokens: message.usage.output_tokens,
        cache_read_input_tokens: message.usage.cache_read_input_tokens,
        cache_creation_input_tokens: message.usage.cache_creation_input_tokens,
      },
    });
    expect(comparable(json)).toEqual({
      content: [
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'src/a.ts' } },
      ],
      stop_reason: 'tool_use',
      model: 'claude-haiku-4-5',
      usage: { input_tokens: 12, output_tokens: 34, cache_read_input_tokens: 5, cache_creation_input_tokens: 6 },
    });
    expect(comparable(streamed)).toEqual(comparable(json));
    expect(standIn!.requests.map((request) => request.body.stream ?? false)).toEqual([false, true]);
  });

  it('streams the SSE event sequence in order', async () => {
    await client([reply(text('ok'))]);
    const response = await fetch(`${standIn!.url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ ...params, stream: true }),
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = [...(await response.text()).matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);
    expect(events).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('answers errors in the API error shape, with their headers, for streaming and plain requests', async () => {
    const sdk = await client([httpError(429, { headers: { 'retry-after': '3' } }), httpError(529)]);
    const limited = await sdk.messages.create(params).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers.get('retry-after')).toBe('3');
    await expect(sdk.messages.stream(params).finalMessage()).rejects.toMatchObject({
      status: 529,
      type: 'overloaded_error',
    });
  });

  it('fails loudly once the script is exhausted, counts tokens, and answers probes', async () => {
    const sdk = await client([]);
    await expect(sdk.messages.create(params)).rejects.toMatchObject({
      status: 500,
      message: expect.stringMatching(/script exhausted/),
    });
    const count = await fetch(`${standIn!.url}/v1/messages/count_tokens`, { method: 'POST', body: '{"a":"12345678"}' });
    expect(await count.json()).toEqual({ input_tokens: 4 });
    expect((await fetch(standIn!.url)).status).toBe(200);
    expect(standIn!.remaining()).toBe(0);
  });

  it('passes a computed step the request, and closes with a request still hanging', async () => {
    const sdk = await client([(request) => reply(text(`you said ${JSON.stringify(request.body.messages)}`)), hang()]);
    const echoed = await sdk.messages.create(params);
    expect(echoed.content).toEqual([{ type: 'text', text: 'you said [{"role":"user","content":"hi"}]' }]);
    const pending = sdk.messages.create(params).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await standIn!.close();
    expect(await pending).toBeInstanceOf(Error);
    standIn = undefined;
  });
});
