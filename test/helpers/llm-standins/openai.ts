/**
 * @module A local stand-in for the OpenAI Chat Completions API (and the servers compatible with it): it answers
 * `POST /v1/chat/completions` from a scripted conversation as `chat.completion` JSON. Give the SDK `url`, which
 * already ends in /v1 as OpenAI base URLs do.
 */

import { DEFAULT_USAGE, type RecordedRequest, type ScriptedReply, type ScriptedStep } from './script.js';
import { rawArguments, type StandIn, sendJson, startStandInServer } from './server.js';

export type { StandIn } from './server.js';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_api_key',
  404: 'model_not_found',
  429: 'rate_limit_exceeded',
};

export function startOpenAiStandIn(script: readonly ScriptedStep[]): Promise<StandIn> {
  let counter = 0;
  return startStandInServer({
    script,
    endpoint: '/v1/chat/completions',
    basePath: '/v1',
    render(res, response, request) {
      if (response.kind === 'error') {
        const type = response.errorType ?? ERROR_TYPES[response.status] ?? 'server_error';
        sendJson(
          res,
          response.status,
          { error: { message: response.message ?? type, type, param: null, code: type } },
          response.headers,
        );
        return;
      }
      if (response.kind === 'hang') return;
      if (request.body.stream === true) {
        sendJson(res, 400, { error: { message: 'this stand-in does not stream', type: 'invalid_request_error' } });
        return;
      }
      counter++;
      sendJson(res, 200, toCompletion(response, request, counter));
    },
  });
}

function toCompletion(response: ScriptedReply, request: RecordedRequest, n: number): Record<string, unknown> {
  const texts = response.blocks.flatMap((block) => (block.type === 'text' ? [block.text] : []));
  const toolCalls = response.blocks.flatMap((block, index) =>
    block.type === 'tool_call'
      ? [
          {
            id: block.id ?? `call_standin_${n}_${index}`,
            type: 'function',
            function: { name: block.name, arguments: rawArguments(block.input) },
          },
        ]
      : [],
  );
  const stop = response.stop ?? (toolCalls.length > 0 ? 'tool_calls' : 'end');
  const usage = response.usage === null ? undefined : (response.usage ?? DEFAULT_USAGE);
  return {
    id: `chatcmpl-standin-${n}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: response.model ?? String(request.body.model ?? 'gpt-standin'),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: texts.length > 0 ? texts.join('\n') : null,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: { end: 'stop', tool_calls: 'tool_calls', max_tokens: 'length' }[stop],
        logprobs: null,
      },
    ],
    ...(usage
      ? {
          usage: {
            // OpenAI counts cached tokens inside prompt_tokens.
            prompt_tokens: usage.input + (usage.cacheRead ?? 0),
            completion_tokens: usage.output,
            total_tokens: usage.input + (usage.cacheRead ?? 0) + usage.output,
            prompt_tokens_details: { cached_tokens: usage.cacheRead ?? 0 },
          },
        }
      : {}),
  };
}
