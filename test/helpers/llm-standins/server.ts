/**
 * @module The node:http server both LLM stand-ins run on: it routes one endpoint to a script of responses,
 * taken in order, records every request body, holds "hanging" requests open, and cleans up on close.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest, ScriptedResponse, ScriptedStep } from './script.js';

export interface StandIn {
  /** The base URL to give the SDK. */
  readonly url: string;
  /** Requests to the scripted endpoint, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Scripted steps not used yet. */
  remaining(): number;
  close(): Promise<void>;
}

export interface StandInServerOptions {
  readonly script: readonly ScriptedStep[];
  /** Path of the scripted endpoint, e.g. /v1/messages. */
  readonly endpoint: string;
  /** Appended to the server's origin in `url`, e.g. /v1 for the OpenAI SDK. */
  readonly basePath?: string;
  /** Writes one scripted response in the API's wire format. */
  readonly render: (res: http.ServerResponse, response: ScriptedResponse, request: RecordedRequest) => void;
  /** Answers other routes (token counting, probes); unhandled ones get a 404. Returns false when not handled. */
  readonly otherRoute?: (req: http.IncomingMessage, res: http.ServerResponse, rawBody: string) => boolean;
}

export async function startStandInServer(options: StandInServerOptions): Promise<StandIn> {
  const requests: RecordedRequest[] = [];
  const open = new Set<http.ServerResponse>();
  let next = 0;

  const server = http.createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method !== 'POST' || path !== options.endpoint) {
        if (options.otherRoute?.(req, res, raw)) return;
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${path}` }));
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        res.writeHead(400).end('request body is not JSON');
        return;
      }
      const request: RecordedRequest = { method: req.method, path, headers: req.headers, body };
      requests.push(request);
      const step = options.script[next];
      next++;
      const response: ScriptedResponse =
        step === undefined
          ? { kind: 'error', status: 500, message: `stand-in script exhausted at request ${next}` }
          : typeof step === 'function'
            ? step(request)
            : step;
      if (response.kind === 'hang') return;
      const delay = response.kind === 'reply' ? (response.delayMs ?? 0) : 0;
      const respond = () => {
        if (!res.destroyed) options.render(res, response, request);
      };
      if (delay > 0) setTimeout(respond, delay);
      else respond();
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${options.basePath ?? ''}`,
    requests,
    remaining: () => Math.max(0, options.script.length - next),
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The raw `input` of a scripted tool call as the wire carries it: JSON, or the string itself when malformed. */
export function rawArguments(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input ?? {});
}
