/**
 * @module A local stand-in for the Anthropic Messages API. It answers `POST /v1/messages` from a scripted
 * conversation, as one JSON message or, when the request says `stream: true`, as the SSE event sequence
 * (message_start, content_block_start/delta/stop per block, message_delta, message_stop), so the SDK and the
 * Claude Code CLI can both talk to it. `/v1/messages/count_tokens` gets an estimate; other GETs get an empty 200.
 */
import type http from 'node:http';
import { DEFAULT_USAGE, type RecordedRequest, type ScriptedReply, type ScriptedStep } from './script.js';
import { rawArguments, type StandIn, sendJson, startStandInServer } from './server.js';

export type { StandIn } from './server.js';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export function startAnthropicStandIn(script: readonly ScriptedStep[]): Promise<StandIn> {
  let counter = 0;
  return startStandInServer({
    script,
    endpoint: '/v1/messages',
    otherRoute: (req, res, raw) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
        sendJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
        return true;
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        // Clients probe the base URL before their first request; any answer will do.
        res.writeHead(200).end();
        return true;
      }
      return false;
    },
    render(res, response, request) {
      if (response.kind === 'error') {
        const type = response.errorType ?? ERROR_TYPES[response.status] ?? 'api_error';
        sendJson(
          res,
          response.status,
          { type: 'error', error: { type, message: response.message ?? type } },
          response.headers,
        );
        return;
      }
      if (response.kind === 'hang') return;
      counter++;
      const message = toMessage(response, request, counter);
      if (request.body.stream === true) sendSse(res, message);
      else sendJson(res, 200, message);
    },
  });
}

interface WireBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

interface WireMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: WireBlock[];
  stop_reason: string;
  stop_sequence: null;
  usage: Record<string, number>;
}

function toMessage(response: ScriptedReply, request: RecordedRequest, n: number): WireMessage {
  let calls = 0;
  const content = response.blocks.map((block): WireBlock => {
    if (block.type === 'text') return { type: 'text', text: block.text };
    calls++;
    return { type: 'tool_use', id: block.id ?? `toolu_standin_${n}_${calls}`, name: block.name, input: block.input };
  });
  const stop = response.stop ?? (calls > 0 ? 'tool_calls' : 'end');
  const usage = response.usage ?? DEFAULT_USAGE;
  return {
    id: `msg_standin_${n}`,
    type: 'message',
    role: 'assistant',
    model: response.model ?? String(request.body.model ?? 'claude-standin'),
    content,
    stop_reason: { end: 'end_turn', tool_calls: 'tool_use', max_tokens: 'max_tokens' }[stop],
    stop_sequence: null,
    usage: {
      input_tokens: usage.input,
      output_tokens: usage.output,
      cache_read_input_tokens: usage.cacheRead ?? 0,
      cache_creation_input_tokens: usage.cacheWrite ?? 0,
    },
  };
}

function sendSse(res: http.ServerResponse, message: WireMessage): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (type: string, data: Record<string, unknown>) => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };
  event('message_start', {
    message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } },
  });
  event('ping', {});
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      event('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      event('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      event('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: rawArguments(block.input) },
      });
    }
    event('content_block_stop', { index });
  });
  event('message_delta', {
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: message.usage.output_tokens },
  });
  event('message_stop', {});
  res.end();
}
