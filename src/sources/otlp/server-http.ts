/**
 * @module OTLP/HTTP on plain `node:http` (or `node:https`): POST /v1/traces and /v1/logs, protobuf or JSON.
 *
 * Not koa: this is the hot path, and OTLP-NOTES §3.3 measured raw node:http as the transport floor (~0.33 ms
 * per 324 KB request); a framework adds per-request work and nothing this one route table needs.
 */
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Admission } from './admission.js';
import type { Authorizer } from './auth.js';
import { ClientAbortedError, decompress, parseContentEncoding, readBody } from './body.js';
import { type OtlpReceiverConfig, readTlsFiles } from './config.js';
import type { OtlpEncoding, OtlpSignal } from './decoded.js';
import { OtlpRefusal, OUTCOMES, retryDelaySeconds, SIGNALS_TEXT, toRefusal } from './status.js';

export interface StatusBody {
  code: number;
  message: string;
  retryDelaySeconds?: number;
}

export interface HttpServerDeps {
  config: OtlpReceiverConfig;
  admission: Admission;
  authorize: Authorizer;
  /** Decodes and stores one request body; resolves only once its events are durable. */
  exportBody(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer): Promise<void>;
  /** The empty Export*ServiceResponse in `encoding`. */
  responseBody(signal: OtlpSignal, encoding: OtlpEncoding): Buffer;
  /** A google.rpc.Status in `encoding`. */
  statusBody(encoding: OtlpEncoding, status: StatusBody): Buffer;
  /** Every refused request, for counters and logs. */
  onRefusal(refusal: OtlpRefusal, signal: OtlpSignal | undefined): void;
}

const SIGNAL_PATHS: ReadonlyMap<string, OtlpSignal> = new Map([
  ['/v1/traces', 'traces'],
  ['/v1/logs', 'logs'],
]);
const CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};
const HEALTH_BODY = Buffer.from('{"status":"ok"}');

export class OtlpHttpServer {
  private readonly server: Server;
  private closing = false;

  constructor(private readonly deps: HttpServerDeps) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((error: unknown) => {
        // A rejection escaping here would be unhandled and end the process; the client gets an answer instead.
        try {
          this.fail(res, toRefusal(error), 'json', undefined, req);
        } catch {
          res.destroy();
        }
      });
    };
    const { tls } = deps.config;
    this.server = tls ? https.createServer(readTlsFiles(tls), handler) : http.createServer(handler);
    // requestTimeout bounds how long a trickling client can hold an admission slot.
    this.server.requestTimeout = deps.config.httpRequestTimeoutMs;
    this.server.headersTimeout = deps.config.httpHeadersTimeoutMs;
    this.server.keepAliveTimeout = deps.config.httpKeepAliveTimeoutMs;
  }

  /** Resolves with the bound port once listening; rejects (EADDRINUSE, EACCES…) naming host:port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.server.off('listening', onListening);
        reject(new Error(`otlp http could not listen on ${host}:${port}: ${error.message}`, { cause: error }));
      };
      const onListening = (): void => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, host);
    });
  }

  /** Stops accepting, lets in-flight requests finish for up to `timeoutMs`, then closes what is left. */
  close(timeoutMs: number): Promise<void> {
    this.closing = true;
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.server.closeAllConnections(), timeoutMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      // Keep-alive sockets with no request in flight would otherwise hold close() open until they time out.
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (path === '/health') return this.health(req, res);

    const encoding = encodingOf(req.headers['content-type']);
    const errorEncoding = encoding ?? 'json';
    const signal = SIGNAL_PATHS.get(path);
    if (signal === undefined) {
      const refusal =
        path === '/v1/metrics'
          ? new OtlpRefusal('signal_not_accepted', `${SIGNALS_TEXT}; send traces to /v1/traces and logs to /v1/logs`)
          : new OtlpRefusal('not_found', 'no OTLP endpoint at this path; use POST /v1/traces or POST /v1/logs');
      return this.fail(res, refusal, errorEncoding, undefined, req);
    }
    if (req.method !== 'POST') {
      const refusal = new OtlpRefusal('method_not_allowed', `${req.method ?? 'this method'} is not allowed; use POST`);
      return this.fail(res, refusal, errorEncoding, signal, req, { Allow: 'POST' });
    }
    if (!this.deps.authorize(req.headers.authorization)) {
      const refusal = new OtlpRefusal('unauthenticated', 'missing or wrong bearer token in the Authorization header');
      return this.fail(res, refusal, errorEncoding, signal, req, { 'WWW-Authenticate': 'Bearer' });
    }
    if (encoding === undefined) {
      const refusal = new OtlpRefusal(
        'unsupported_media_type',
        'Content-Type must be application/x-protobuf or application/json',
      );
      return this.fail(res, refusal, errorEncoding, signal, req);
    }

    const ticket = this.deps.admission.tryAcquire(0);
    if (ticket === undefined) {
      const refusal = new OtlpRefusal('overloaded', 'the receiver is at its in-flight request limit; retry later');
      return this.fail(res, refusal, encoding, signal, req);
    }
    try {
      const codings = parseContentEncoding(req.headers['content-encoding']);
      const limit = this.deps.config.maxRequestBytes;
      const wire = await readBody(req, { limit, ticket });
      const body = await decompress(wire, codings, limit);
      if (body !== wire && !ticket.grow(body.length)) {
        throw new OtlpRefusal('overloaded', 'the receiver is at its in-flight byte limit; retry later');
      }
      await this.deps.exportBody(signal, encoding, body);
      this.send(res, 200, CONTENT_TYPES[encoding], this.deps.responseBody(signal, encoding));
    } catch (error) {
      // Nobody is left to answer; the sender retries on its own and eventId dedup keeps that exactly-once.
      if (error instanceof ClientAbortedError) res.destroy();
      else this.fail(res, toRefusal(error), encoding, signal, req);
    } finally {
      ticket.release();
    }
  }

  private health(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' || req.method === 'HEAD') {
      this.send(res, 200, 'application/json', HEALTH_BODY);
      return;
    }
    this.send(res, 405, 'application/json', Buffer.from('{"error":"use GET"}'), { Allow: 'GET, HEAD' });
  }

  private fail(
    res: ServerResponse,
    refusal: OtlpRefusal,
    encoding: OtlpEncoding,
    signal: OtlpSignal | undefined,
    req?: IncomingMessage,
    headers: Record<string, string> = {},
  ): void {
    this.deps.onRefusal(refusal, signal);
    const mapped = OUTCOMES[refusal.outcome];
    const delay = retryDelaySeconds(refusal.outcome);
    const extra: Record<string, string> = { ...headers };
    if (delay !== undefined) extra['Retry-After'] = String(delay);
    // An unread body would be parsed as the next request; closing is cheaper than draining an unbounded one.
    if (req !== undefined && !req.complete) extra.Connection = 'close';
    let body: Buffer;
    try {
      body = this.deps.statusBody(encoding, {
        code: mapped.grpc,
        message: refusal.message,
        ...(delay === undefined ? {} : { retryDelaySeconds: delay }),
      });
    } catch {
      // Like the collector: if the Status cannot be encoded, a JSON one still tells the client what happened.
      encoding = 'json';
      body = Buffer.from(JSON.stringify({ code: mapped.grpc, message: refusal.message }));
    }
    this.send(res, mapped.http, CONTENT_TYPES[encoding], body, extra);
  }

  private send(
    res: ServerResponse,
    status: number,
    contentType: string,
    body: Buffer,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    // While stopping, every response closes its connection so stop() is not held open by keep-alive.
    if (this.closing) headers.Connection = 'close';
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length, ...headers });
    res.end(body);
  }
}

/** The OTLP encoding a Content-Type asks for; parameters such as `charset` are ignored. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  if (contentType === undefined) return undefined;
  const media = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  if (media === 'application/x-protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}
