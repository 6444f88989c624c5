/**
 * @module A local stand-in for the Anthropic Messages API, shaped for the Claude Code CLI: it answers
 * `POST /v1/messages` in SSE (the CLI streams) or JSON, from a script of turns, and records every request so a
 * test can see exactly what the CLI sent (its tools, the tool results, the StructuredOutput tool).
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** What the stand-in answers to one request. */
export type Reply =
  | { kind: 'message'; content: ContentBlock[]; stopReason?: 'end_turn' | 'tool_use'; usage?: Usage }
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  /** Accepts the request and never answers: the client's own timeout has to end it. */
  | { kind: 'hang' };

export interface RecordedRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: MessagesRequest;
}

/** The parts of a Messages request the tests look at; the rest is kept as sent. */
export interface MessagesRequest {
  model?: string;
  stream?: boolean;
  system?: Array<{ type: string; text: string }> | string;
  messages?: Array<{ role: string; content: unknown }>;
  tools?: Array<{ name: string; description?: string; input_schema?: unknown }>;
  [key: string]: unknown;
}

/** A scripted turn: a fixed reply, or one computed from the request (e.g. to echo a tool result back). */
export type Turn = Reply | ((request: RecordedRequest) => Reply);

export interface AnthropicCliStandIn {
  readonly url: string;
  /** Messages requests in arrival order (connectivity probes and token counting are not included). */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const DEFAULT_USAGE: Usage = { input_tokens: 100, output_tokens: 20 };

export async function startAnthropicCliStandIn(script: readonly Turn[]): Promise<AnthropicCliStandIn> {
  const requests: RecordedRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  let next = 0;
  let messageCounter = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method !== 'POST') {
        // The CLI probes the base URL before its first request; any answer will do.
        res.writeHead(200).end();
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      if (path === '/v1/messages/count_tokens') {
        sendJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
        return;
      }
      if (path !== '/v1/messages') {
        sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${path}` } });
        return;
      }
      const recorded: RecordedRequest = { path, headers: req.headers, body: JSON.parse(raw) as MessagesRequest };
      requests.push(recorded);
      const turn = script[next];
      next += 1;
      const reply: Reply =
        turn === undefined
          ? { kind: 'error', status: 500, type: 'api_error', message: `stand-in script exhausted at request ${next}` }
          : typeof turn === 'function'
            ? turn(recorded)
            : turn;
      if (reply.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (reply.kind === 'error') {
        sendJson(
          res,
          reply.status,
          { type: 'error', error: { type: reply.type, message: reply.message } },
          reply.headers,
        );
        return;
      }
      messageCounter += 1;
      const message = {
        id: `msg_standin_${messageCounter}`,
        type: 'message',
        role: 'assistant',
        model: recorded.body.model ?? 'unknown',
        content: reply.content,
        stop_reason: reply.stopReason ?? (reply.content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
        stop_sequence: null,
        usage: reply.usage ?? DEFAULT_USAGE,
      };
      if (recorded.body.stream === true) sendSse(res, message);
      else sendJson(res, 200, message);
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

interface StandInMessage {
  id: string;
  model: string;
  content: ContentBlock[];
  stop_reason: string;
  usage: Usage;
}

/** The Messages API's event sequence: message_start, one start/delta/stop per block, message_delta, message_stop. */
function sendSse(res: http.ServerResponse, message: StandInMessage): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (type: string, data: Record<string, unknown>) => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };
  event('message_start', {
    message: {
      id: message.id,
      type: 'message',
      role: 'assistant',
      model: message.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...message.usage, output_tokens: 1 },
    },
  });
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
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
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
