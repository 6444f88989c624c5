import { createServer, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTraceRequest } from '../../../test/helpers/otlp-payloads.js';
import { envSchema } from '../../config/index.js';
import type { ErrorEvent } from '../../domain/index.js';
import { createLogger } from '../../observability/logger.js';
import type { EventSink, IngestSummary } from '../../ports/index.js';
import { otlpReceiverConfig } from './config.js';
import { OtlpReceiver } from './receiver.js';

const EMPTY: IngestSummary = { new: [], updated: [], duplicates: 0, sampledTraceIds: [], failed: [] };

class FakeSink implements EventSink {
  readonly batches: ErrorEvent[][] = [];
  fail: Error | undefined;
  delayMs = 0;

  async ingest(events: readonly ErrorEvent[]): Promise<IngestSummary> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.fail) throw this.fail;
    this.batches.push([...events]);
    return EMPTY;
  }
}

const receivers: OtlpReceiver[] = [];
const blockers: Server[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.stop();
  for (const blocker of blockers.splice(0)) await new Promise((resolve) => blocker.close(resolve));
});

function receiverWith(vars: Record<string, string> = {}) {
  const lines = new PassThrough();
  let log = '';
  lines.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const config = otlpReceiverConfig(envSchema.parse({ OTLP_GRPC_PORT: '0', OTLP_HTTP_PORT: '0', ...vars }), {
    shutdownTimeoutMs: 2000,
  });
  const receiver = new OtlpReceiver({
    config,
    logger: createLogger({ level: 'debug', format: 'json', destination: lines }),
  });
  receivers.push(receiver);
  return { receiver, log: () => log };
}

const body = makeTraceRequest({ spans: 32, errorRate: 0.25, seed: 5 }).body;

function postTraces(port: number, payload: Buffer = body): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/traces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body: payload,
  });
}

function grpcExport(port: number, payload: Buffer = body): Promise<grpc.ServiceError | undefined> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const identity = (b: Buffer) => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      identity,
      identity,
      payload,
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (error) => {
        client.close();
        resolve(error ?? undefined);
      },
    );
  });
}

describe('OtlpReceiver lifecycle', () => {
  it('stops safely before start and twice', async () => {
    const { receiver } = receiverWith();
    await receiver.stop();
    await receiver.stop();
    expect(receiver.ports()).toEqual({});
  });

  it('reports the bound ports, logs one line per transport, and releases them on stop', async () => {
    const { receiver, log } = receiverWith();
    await receiver.start(new FakeSink());
    const { grpc: grpcPort, http: httpPort } = receiver.ports();
    expect(grpcPort).toBeGreaterThan(0);
    expect(httpPort).toBeGreaterThan(0);
    expect(log()).toContain(`otlp grpc listening on 127.0.0.1:${grpcPort}`);
    expect(log()).toContain(`otlp http listening on 127.0.0.1:${httpPort}`);
    await receiver.stop();
    await receiver.stop();
    expect(receiver.ports()).toEqual({});
    // The same ports are free again: a second receiver can take them.
    const again = receiverWith({ OTLP_GRPC_PORT: String(grpcPort), OTLP_HTTP_PORT: String(httpPort) });
    await again.receiver.start(new FakeSink());
    expect(again.receiver.ports()).toEqual({ grpc: grpcPort, http: httpPort });
  });

  it('undoes a half-failed start: the port in use is named and the first transport is stopped again', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    const { receiver, log } = receiverWith({ OTLP_HTTP_PORT: String(taken) });
    await expect(receiver.start(new FakeSink())).rejects.toThrow(`otlp http could not listen on 127.0.0.1:${taken}`);
    expect(receiver.ports()).toEqual({});
    const grpcPort = Number(/otlp grpc listening on 127\.0\.0\.1:(\d+)/.exec(log())?.[1]);
    expect(grpcPort).toBeGreaterThan(0);
    const probe = createServer();
    blockers.push(probe);
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(grpcPort, '127.0.0.1', resolve);
    });
  });

  it('starts only the configured protocols', async () => {
    const { receiver } = receiverWith({ OTLP_PROTOCOLS: 'http' });
    await receiver.start(new FakeSink());
    expect(Object.keys(receiver.ports())).toEqual(['http']);
  });
});

describe('OtlpReceiver and its sink', () => {
  it('acknowledges only after the sink resolved, and counts what it accepted', async () => {
    const { receiver } = receiverWith();
    const sink = new FakeSink();
    sink.delayMs = 200;
    await receiver.start(sink);
    const started = Date.now();
    const response = await postTraces(receiver.ports().http!);
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.length).toBe(8);
    expect(await grpcExport(receiver.ports().grpc!)).toBeUndefined();
    const stats = receiver.stats();
    expect(stats.http).toEqual({
      requests: { accepted: 1, refused: 0 },
      items: { accepted: 32, refused: 0 },
      errorEvents: 8,
    });
    expect(stats.grpc.requests.accepted).toBe(1);
  });

  it('turns a store failure into 503 + Retry-After and UNAVAILABLE, without leaking the cause', async () => {
    const { receiver, log } = receiverWith();
    const sink = new FakeSink();
    sink.fail = new Error('SQLITE_FULL: database or disk is full');
    await receiver.start(sink);
    const response = await postTraces(receiver.ports().http!);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(2);
    const text = Buffer.from(await response.arrayBuffer()).toString('latin1');
    expect(text).not.toContain('SQLITE');
    const error = await grpcExport(receiver.ports().grpc!);
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(error?.details).not.toContain('SQLITE');
    expect(receiver.stats().http).toMatchObject({ requests: { accepted: 0, refused: 1 }, items: { refused: 32 } });
    // The operator, unlike the client, sees why.
    expect(log()).toContain('SQLITE_FULL');
  });

  it('stores requests that arrive during a commit together, and answers each only after that shared commit', async () => {
    const { receiver } = receiverWith();
    const sink = new FakeSink();
    // Long enough that the three later requests are all decoded and waiting before the first commit ends.
    sink.delayMs = 400;
    await receiver.start(sink);
    const port = receiver.ports().http!;
    const first = postTraces(port);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const others = await Promise.all([postTraces(port), postTraces(port), grpcExport(receiver.ports().grpc!)]);
    expect((await first).status).toBe(200);
    expect(others.slice(0, 2).map((r) => (r as Response).status)).toEqual([200, 200]);
    expect(others[2]).toBeUndefined();
    // One call for the first request, one shared call for the three that arrived while it was being stored.
    expect(sink.batches.map((batch) => batch.length)).toEqual([8, 24]);
    expect(receiver.stats().http.errorEvents).toBe(24);
  });

  it('answers every request of a group with the retryable error when their shared commit fails', async () => {
    const { receiver } = receiverWith();
    const sink = new FakeSink();
    // Long enough that the three later requests are all decoded and waiting before the first commit ends.
    sink.delayMs = 400;
    sink.fail = new Error('SQLITE_IOERR: disk I/O error');
    await receiver.start(sink);
    const port = receiver.ports().http!;
    const first = postTraces(port);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [second, third, viaGrpc] = await Promise.all([
      postTraces(port),
      postTraces(port),
      grpcExport(receiver.ports().grpc!),
    ]);
    expect([(await first).status, second.status, third.status]).toEqual([503, 503, 503]);
    expect(viaGrpc?.code).toBe(grpc.status.UNAVAILABLE);
    expect(receiver.stats().http.requests).toEqual({ accepted: 0, refused: 3 });
  });

  it('finishes in-flight requests on stop, and refuses new connections', async () => {
    const { receiver } = receiverWith();
    const sink = new FakeSink();
    sink.delayMs = 500;
    await receiver.start(sink);
    const port = receiver.ports().http!;
    const inflight = postTraces(port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = receiver.stop();
    expect((await inflight).status).toBe(200);
    await stopped;
    await expect(postTraces(port)).rejects.toThrow();
  });
});
