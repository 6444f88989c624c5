/**
 * @module The OTLP receiver in a real `rounds daemon`, fed by the real OpenTelemetry exporters and SDKs, plus
 * hostile input, backpressure, TLS and graceful shutdown. All traffic stays on 127.0.0.1.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Signature } from '../../src/domain/index.js';
import { SqliteSignatureStore } from '../../src/store/sqlite/sqlite-signature-store.js';
import { startCli, waitForExit } from '../helpers/cli.js';
import { makeTraceRequest, recordSpans, serializeSpans } from '../helpers/otlp-payloads.js';

// ---- the daemon ----

interface Daemon {
  child: ChildProcess;
  dir: string;
  db: string;
  grpcPort: number;
  httpPort: number;
  stderr(): string;
}

const running: Daemon[] = [];

async function startDaemon(env: Record<string, string> = {}): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-otlp-'));
  const db = join(dir, 's.db');
  const started = await startCli(['daemon'], {
    cwd: dir,
    env: { OTLP_GRPC_PORT: '0', OTLP_HTTP_PORT: '0', LOG_FORMAT: 'json', STORE_SQLITE_PATH: db, ...env },
    ready: /rounds daemon running/,
  }).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const { child, output } = started;
  const stderr = () => output().stderr;
  // The startup lines are the contract: users (and these tests) read the bound ports from them.
  const port = (transport: string): number =>
    Number(new RegExp(`otlp ${transport} listening on 127\\.0\\.0\\.1:(\\d+)`).exec(stderr())?.[1] ?? Number.NaN);
  const daemon = { child, dir, db, grpcPort: port('grpc'), httpPort: port('http'), stderr };
  running.push(daemon);
  expect(daemon.grpcPort).toBeGreaterThan(0);
  expect(daemon.httpPort).toBeGreaterThan(0);
  return daemon;
}

async function stopDaemon(daemon: Daemon): Promise<void> {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
    daemon.child.kill('SIGKILL');
    await waitForExit(daemon.child).catch(() => undefined);
  }
  rmSync(daemon.dir, { recursive: true, force: true });
}

/** Each describe block stops its daemons when it ends, so at most one runs at a time. */
async function stopDaemons(): Promise<void> {
  for (const daemon of running.splice(0)) await stopDaemon(daemon);
}

/**
 * What the daemon stored, read through the store's public API (the code `rounds show-signatures --json` runs)
 * on a second connection beside the running daemon. In-process rather than a `show-signatures` child: that
 * child loads dist/, which a concurrent test run in the same tree may be rebuilding.
 */
async function signatures(daemon: Daemon, service?: string): Promise<Signature[]> {
  const store = new SqliteSignatureStore({ path: daemon.db });
  await store.open();
  try {
    return await store.listSignatures({ limit: 1000, ...(service === undefined ? {} : { service }) });
  } finally {
    await store.close();
  }
}

async function occurrences(daemon: Daemon, service?: string): Promise<number> {
  return (await signatures(daemon, service)).reduce((sum, signature) => sum + signature.occurrenceCount, 0);
}

// ---- real SDK clients ----

class OrderNotFoundError extends Error {
  override name = 'OrderNotFoundError';
}

/** Thrown from a named function, so the V8 stack has a frame the test can look for. */
function loadOrderForCheckout(id: number): never {
  throw new OrderNotFoundError(`order ${id} not found`);
}

function caught(id: number): Error {
  try {
    loadOrderForCheckout(id);
  } catch (error) {
    return error as Error;
  }
}

function resourceFor(service: string) {
  return resourceFromAttributes({
    'service.name': service,
    'service.version': '1.4.2',
    'deployment.environment.name': 'test',
    'telemetry.sdk.language': 'nodejs',
  });
}

/** Wraps an exporter so the test sees every export's result (the SDK only reports failures to diag). */
function recordingSpanExporter(inner: SpanExporter, results: ExportResult[]): SpanExporter {
  return {
    export: (spans, done) =>
      inner.export(spans, (result) => {
        results.push(result);
        done(result);
      }),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

function recordingLogExporter(inner: LogRecordExporter, results: ExportResult[]): LogRecordExporter {
  return {
    export: (records, done) =>
      inner.export(records, (result) => {
        results.push(result);
        done(result);
      }),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

/**
 * Error spans (recordException + status ERROR) and healthy ones through a real tracer provider, exported as
 * one batch on forceFlush. `healthy` spans carry a 2 KB attribute each, so a big batch spans many TCP reads.
 */
async function traceErrors(
  exporter: SpanExporter,
  service: string,
  options: { errors?: number[]; healthy?: number } = {},
) {
  const results: ExportResult[] = [];
  const provider = new BasicTracerProvider({
    resource: resourceFor(service),
    spanProcessors: [
      new BatchSpanProcessor(recordingSpanExporter(exporter, results), {
        maxExportBatchSize: 4096,
        maxQueueSize: 4096,
        scheduledDelayMillis: 60_000,
      }),
    ],
  });
  const tracer = provider.getTracer('rounds-otlp-test', '1.0.0');
  for (const id of options.errors ?? [42]) {
    const span = tracer.startSpan('GET /orders/:id');
    const error = caught(id);
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.end();
  }
  for (let i = 0; i < (options.healthy ?? 1); i++) {
    tracer.startSpan('GET /health', { attributes: { 'app.padding': 'p'.repeat(2048) } }).end();
  }
  await provider.forceFlush();
  await provider.shutdown();
  return results;
}

async function logErrors(exporter: LogRecordExporter, service: string) {
  const results: ExportResult[] = [];
  const provider = new LoggerProvider({
    resource: resourceFor(service),
    processors: [new SimpleLogRecordProcessor({ exporter: recordingLogExporter(exporter, results) })],
  });
  const logger = provider.getLogger('rounds-otlp-test', '1.0.0');
  logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'checkout started' });
  // `exception` makes the SDK set exception.type, exception.message and exception.stacktrace.
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    body: 'checkout failed',
    exception: caught(7),
    attributes: { 'http.route': '/orders/:id' },
  });
  await provider.forceFlush();
  await provider.shutdown();
  return results;
}

function expectAllSucceeded(results: ExportResult[]): void {
  expect(results.length).toBeGreaterThan(0);
  for (const result of results)
    expect({ code: result.code, error: result.error?.message }).toEqual({
      code: ExportResultCode.SUCCESS,
      error: undefined,
    });
}

async function expectOrderSignature(daemon: Daemon, service: string): Promise<void> {
  const stored = await signatures(daemon, service);
  expect(stored).toHaveLength(1);
  const signature = stored[0]!;
  expect(signature).toMatchObject({
    service,
    errorType: 'OrderNotFoundError',
    messageTemplate: 'order <int> not found',
    language: 'node',
  });
  const thrower = signature.frames.find((frame) => frame.function === 'loadOrderForCheckout');
  expect(thrower?.file).toMatch(/otlp-receiver\.test\.ts$/);
  expect(thrower?.line).toBeGreaterThan(0);
}

// ---- raw clients for hostile input ----

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A POST with full control over headers and chunking; tolerates the server closing while we still write. */
function post(
  port: number,
  path: string,
  body: Buffer | Buffer[],
  headers: Record<string, string>,
  options: { method?: string; paceMs?: number } = {},
): Promise<RawResponse> {
  const method = options.method ?? 'POST';
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    let answered = false;
    req.on('response', () => {
      answered = true;
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.setTimeout(20_000, () => req.destroy(new Error('request timed out')));
    if (Array.isArray(body)) {
      const write = (i: number): void => {
        if (answered || req.destroyed) return;
        if (i >= body.length) req.end();
        else req.write(body[i], () => setTimeout(() => write(i + 1), options.paceMs ?? 0));
      };
      write(0);
    } else {
      req.end(body);
    }
  });
}

const identity = (buffer: Buffer): Buffer => buffer;

function grpcCall(
  port: number,
  path: string,
  body: Buffer,
  options: { token?: string; channel?: grpc.ChannelOptions; credentials?: grpc.ChannelCredentials } = {},
): Promise<{ code: grpc.status; details: string; trailers?: grpc.Metadata }> {
  const client = new grpc.Client(
    `127.0.0.1:${port}`,
    options.credentials ?? grpc.credentials.createInsecure(),
    options.channel ?? {},
  );
  const metadata = new grpc.Metadata();
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, identity, identity, body, metadata, { deadline: Date.now() + 15_000 }, (error) => {
      client.close();
      resolve(
        error
          ? { code: error.code, details: error.details, trailers: error.metadata }
          : { code: grpc.status.OK, details: '' },
      );
    });
  });
}

const TRACE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const METRICS_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

// ---- the tests ----

describe.sequential('OTLP receiver with the real exporters', () => {
  afterAll(stopDaemons);
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon();
  });

  const traceExporters = [
    ['grpc', false],
    ['grpc', true],
    ['proto', false],
    ['proto', true],
    ['http', false],
    ['http', true],
  ] as const;

  it.each(traceExporters)(
    'trace exporter %s (gzip: %s): error spans become a signature with parsed node frames',
    async (kind, gzip) => {
      const service = `orders-${kind}${gzip ? '-gzip' : ''}`;
      const compression = gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
      const exporter =
        kind === 'grpc'
          ? new GrpcTraceExporter({ url: `http://127.0.0.1:${daemon.grpcPort}`, compression })
          : kind === 'proto'
            ? new ProtoTraceExporter({ url: `http://127.0.0.1:${daemon.httpPort}/v1/traces`, compression })
            : new HttpTraceExporter({ url: `http://127.0.0.1:${daemon.httpPort}/v1/traces`, compression });
      expectAllSucceeded(await traceErrors(exporter, service));
      await expectOrderSignature(daemon, service);
    },
  );

  it.each(['grpc', 'proto', 'http'] as const)(
    'log exporter %s: an ERROR record with exception.* becomes a signature',
    async (kind) => {
      const service = `orders-logs-${kind}`;
      const exporter =
        kind === 'grpc'
          ? new GrpcLogExporter({ url: `http://127.0.0.1:${daemon.grpcPort}` })
          : kind === 'proto'
            ? new ProtoLogExporter({ url: `http://127.0.0.1:${daemon.httpPort}/v1/logs` })
            : new HttpLogExporter({ url: `http://127.0.0.1:${daemon.httpPort}/v1/logs` });
      expectAllSucceeded(await logErrors(exporter, service));
      await expectOrderSignature(daemon, service);
    },
  );

  it('stores nothing for healthy spans', async () => {
    const results: ExportResult[] = [];
    const provider = new BasicTracerProvider({
      resource: resourceFor('healthy-service'),
      spanProcessors: [
        new SimpleSpanProcessor(
          recordingSpanExporter(
            new ProtoTraceExporter({ url: `http://127.0.0.1:${daemon.httpPort}/v1/traces` }),
            results,
          ),
        ),
      ],
    });
    const tracer = provider.getTracer('rounds-otlp-test');
    for (let i = 0; i < 5; i++) tracer.startSpan(`GET /items/${i}`).end();
    await provider.forceFlush();
    await provider.shutdown();
    expectAllSucceeded(results);
    expect(await signatures(daemon, 'healthy-service')).toEqual([]);
  });

  it('counts the same spans exported twice only once', async () => {
    const service = 'orders-twice';
    const captured: Parameters<SpanExporter['export']>[0] = [];
    const provider = new BasicTracerProvider({
      resource: resourceFor(service),
      spanProcessors: [
        new SimpleSpanProcessor({
          export: (batch, done) => {
            captured.push(...batch);
            done({ code: ExportResultCode.SUCCESS });
          },
          shutdown: () => Promise.resolve(),
        }),
      ],
    });
    const tracer = provider.getTracer('rounds-otlp-test');
    for (const id of [1, 2, 3]) {
      const span = tracer.startSpan('GET /orders/:id');
      span.recordException(caught(id));
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    await provider.shutdown();
    for (const kind of ['proto', 'grpc'] as const) {
      const exporter =
        kind === 'proto'
          ? new ProtoTraceExporter({ url: `http://127.0.0.1:${daemon.httpPort}/v1/traces` })
          : new GrpcTraceExporter({ url: `http://127.0.0.1:${daemon.grpcPort}` });
      const result = await new Promise<ExportResult>((resolve) => exporter.export(captured, resolve));
      await exporter.shutdown();
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      expect(await occurrences(daemon, service)).toBe(3);
    }
  });
});

describe.sequential('OTLP receiver under overload', () => {
  afterAll(stopDaemons);
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({ OTLP_MAX_INFLIGHT_REQUESTS: '1', LOG_LEVEL: 'debug' });
  });

  it('answers 429 + Retry-After (HTTP) and UNAVAILABLE + RetryInfo (gRPC) while the one slot is taken', async () => {
    const body = makeTraceRequest({ spans: 16, errorRate: 0, seed: 3 }).body;
    const halves = [body.subarray(0, 100), body.subarray(100)];
    const headers = { 'Content-Type': 'application/x-protobuf' };
    // This request holds the only slot for ~1.5 s while its second half is on its way.
    const holder = post(daemon.httpPort, '/v1/traces', halves, headers, { paceMs: 1500 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await post(daemon.httpPort, '/v1/traces', body, headers);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3);
    const grpcRefused = await grpcCall(daemon.grpcPort, TRACE_PATH, body);
    expect(grpcRefused.code).toBe(grpc.status.UNAVAILABLE);
    const details = grpcRefused.trailers?.get('grpc-status-details-bin')[0];
    expect(Buffer.isBuffer(details)).toBe(true);
    expect((details as Buffer).includes('type.googleapis.com/google.rpc.RetryInfo')).toBe(true);
    expect((await holder).status).toBe(200);
    expect((await post(daemon.httpPort, '/v1/traces', body, headers)).status).toBe(200);
  });

  it('gives the slot back when a client aborts mid-body', async () => {
    const body = makeTraceRequest({ spans: 16, errorRate: 0, seed: 4 }).body;
    const headers = { 'Content-Type': 'application/x-protobuf' };
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const req = http.request({
          host: '127.0.0.1',
          port: daemon.httpPort,
          path: '/v1/traces',
          method: 'POST',
          headers,
          agent: false,
        });
        req.on('error', () => resolve());
        req.write(body.subarray(0, 200), () => setTimeout(() => req.destroy(), 100));
        req.on('close', () => resolve());
      });
    }
    // With one slot, a leaked admission would make this a 429.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await post(daemon.httpPort, '/v1/traces', body, headers)).status).toBe(200);
  });

  it('refuses concurrent exporters past the limit; they back off, retry, and every event lands exactly once', async () => {
    const senders = 16;
    const perSender = 3;
    const batches = await Promise.all(
      Array.from({ length: senders }, (_, s) =>
        traceErrors(
          new ProtoTraceExporter({ url: `http://127.0.0.1:${daemon.httpPort}/v1/traces`, timeoutMillis: 20_000 }),
          'orders-overload',
          // ~300 KB per request: it arrives over many reads, so requests really overlap in the receiver.
          { errors: Array.from({ length: perSender }, (_, i) => s * perSender + i), healthy: 150 },
        ),
      ),
    );
    for (const results of batches) expectAllSucceeded(results);
    const refusals = daemon
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"outcome":"overloaded"') && line.includes('"transport":"http"'));
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0]).toContain('"status":429');
    expect(await occurrences(daemon, 'orders-overload')).toBe(senders * perSender);
  }, 90_000);
});

describe.sequential('OTLP receiver against hostile input', () => {
  afterAll(stopDaemons);
  const TOKEN = 'test-token-0123456789';
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const protobuf = { ...auth, 'Content-Type': 'application/x-protobuf' };
  let daemon: Daemon;
  let valid: Buffer;
  beforeAll(async () => {
    daemon = await startDaemon({ OTLP_MAX_REQUEST_BYTES: String(1024 * 1024), OTLP_AUTH_TOKEN: TOKEN });
    valid = makeTraceRequest({ spans: 64, errorRate: 0.25, seed: 7 }).body;
  });

  const statusJson = (response: RawResponse) =>
    JSON.parse(response.body.toString()) as { code: number; message: string };

  it('answers a valid export and /health', async () => {
    const ok = await post(daemon.httpPort, '/v1/traces', valid, protobuf);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/x-protobuf');
    expect(ok.body.length).toBe(0);
    const json = await post(daemon.httpPort, '/v1/logs', Buffer.from('{}'), {
      ...auth,
      'Content-Type': 'application/json; charset=utf-8',
    });
    expect(json.status).toBe(200);
    expect(json.body.toString()).toBe('{}');
    const health = await fetch(`http://127.0.0.1:${daemon.httpPort}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('refuses garbage, truncated protobuf and invalid JSON with 400 and a google.rpc.Status', async () => {
    const garbage = await post(
      daemon.httpPort,
      '/v1/traces',
      Buffer.from('\xff\xfe this is not protobuf \x00\x01', 'latin1'),
      protobuf,
    );
    expect(garbage.status).toBe(400);
    expect(garbage.headers['content-type']).toBe('application/x-protobuf');
    const truncated = await post(
      daemon.httpPort,
      '/v1/traces',
      valid.subarray(0, Math.floor(valid.length / 2)),
      protobuf,
    );
    expect(truncated.status).toBe(400);
    const json = await post(daemon.httpPort, '/v1/traces', Buffer.from('{"resourceSpans": [ {'), {
      ...auth,
      'Content-Type': 'application/json',
    });
    expect(json.status).toBe(400);
    expect(json.headers['content-type']).toBe('application/json');
    expect(statusJson(json)).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(statusJson(json).message.length).toBeGreaterThan(0);
  });

  it('answers 415, 405, 404 and 400 for the wrong media type, method, path and encoding', async () => {
    const media = await post(daemon.httpPort, '/v1/traces', valid, { ...auth, 'Content-Type': 'text/plain' });
    expect(media.status).toBe(415);
    expect(statusJson(media).message).toContain('application/x-protobuf');
    const get = await post(daemon.httpPort, '/v1/traces', Buffer.alloc(0), auth, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const unknown = await post(daemon.httpPort, '/v2/whatever', valid, protobuf);
    expect(unknown.status).toBe(404);
    const metrics = await post(daemon.httpPort, '/v1/metrics', Buffer.from('{}'), {
      ...auth,
      'Content-Type': 'application/json',
    });
    expect(metrics.status).toBe(404);
    expect(statusJson(metrics).message).toContain('traces and logs');
    const brotli = await post(daemon.httpPort, '/v1/traces', valid, { ...protobuf, 'Content-Encoding': 'br' });
    expect(brotli.status).toBe(400);
    expect(brotli.body.toString('latin1')).toContain('gzip, deflate, zstd, identity');
  });

  it('refuses a gzip bomb and an oversized chunked body with 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024));
    const bombed = await post(daemon.httpPort, '/v1/traces', bomb, { ...protobuf, 'Content-Encoding': 'gzip' });
    expect(bombed.status).toBe(413);
    expect(bombed.body.toString('latin1')).toContain('decompressed request body exceeds the limit of 1048576 bytes');
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 0x0a));
    const chunked = await post(daemon.httpPort, '/v1/traces', chunks, protobuf);
    expect(chunked.status).toBe(413);
    expect(chunked.headers['retry-after']).toBeUndefined();
  });

  it('takes a zstd export, and refuses a zstd bomb with 413', async () => {
    const testdata = (name: string) =>
      readFileSync(new URL(`../../src/sources/otlp/testdata/${name}`, import.meta.url));
    const zstd = { ...protobuf, 'Content-Encoding': 'zstd' };
    const before = await occurrences(daemon);
    const ok = await post(daemon.httpPort, '/v1/traces', testdata('traces.pb.zst'), zstd);
    expect(ok.status).toBe(200);
    // The fixture is makeTraceRequest({ spans: 16, errorRate: 0.25, seed: 4242 }): four error spans, new ids.
    expect(await occurrences(daemon)).toBe(before + 4);
    const bomb = await post(daemon.httpPort, '/v1/traces', testdata('bomb-stream-64mib.zst'), zstd);
    expect(bomb.status).toBe(413);
    expect(bomb.body.toString('latin1')).toContain('decompressed request body exceeds the limit of 1048576 bytes');
  });

  it('survives 10,000 levels of nested JSON attribute values', async () => {
    let value = '{"stringValue":"bottom"}';
    for (let i = 0; i < 10_000; i++) value = `{"arrayValue":{"values":[${value}]}}`;
    const body = `{"resourceSpans":[{"resource":{"attributes":[{"key":"deep","value":${value}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"deep","startTimeUnixNano":"1","endTimeUnixNano":"2","status":{"code":2,"message":"deep failure"}}]}]}]}`;
    const response = await post(daemon.httpPort, '/v1/traces', Buffer.from(body), {
      ...auth,
      'Content-Type': 'application/json',
    });
    expect([200, 400]).toContain(response.status);
  });

  it('accepts invalid UTF-8 inside protobuf strings', async () => {
    const spans = recordSpans({ 'service.name': 'utf8-service', 'telemetry.sdk.language': 'nodejs' }, (tracerFor) => {
      const span = tracerFor('rounds-otlp-test').startSpan('GET /cards/:id');
      span.recordException(caught(5));
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'card XXXXXXXX declined' });
      span.setAttribute('note', 'XXXXXXXX');
      span.end();
    });
    const body = serializeSpans(spans, 'protobuf');
    const marker = Buffer.from('XXXXXXXX');
    // Same length, so the protobuf framing stays valid: only the string bytes stop being UTF-8.
    for (let at = body.indexOf(marker); at >= 0; at = body.indexOf(marker, at + 1)) {
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28]).copy(body, at);
    }
    expect(body.includes(marker)).toBe(false);
    const response = await post(daemon.httpPort, '/v1/traces', body, protobuf);
    expect(response.status).toBe(200);
    expect(await signatures(daemon, 'utf8-service')).toHaveLength(1);
  });

  it('answers 401 / UNAUTHENTICATED without the right token', async () => {
    const missing = await post(daemon.httpPort, '/v1/traces', valid, { 'Content-Type': 'application/x-protobuf' });
    expect(missing.status).toBe(401);
    const wrong = await post(daemon.httpPort, '/v1/traces', valid, {
      'Content-Type': 'application/x-protobuf',
      Authorization: 'Bearer nope',
    });
    expect(wrong.status).toBe(401);
    expect((await grpcCall(daemon.grpcPort, TRACE_PATH, valid, { token: 'nope' })).code).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    expect((await grpcCall(daemon.grpcPort, TRACE_PATH, valid)).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('answers gRPC garbage, metrics and over-limit messages with the spec codes', async () => {
    const garbage = await grpcCall(daemon.grpcPort, TRACE_PATH, Buffer.from([0xff, 0xff, 0xff, 0x01]), {
      token: TOKEN,
    });
    expect(garbage.code).toBe(grpc.status.INVALID_ARGUMENT);
    const metrics = await grpcCall(daemon.grpcPort, METRICS_PATH, Buffer.alloc(0), { token: TOKEN });
    expect(metrics.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(metrics.details).toContain('traces and logs');
    const big = await grpcCall(daemon.grpcPort, TRACE_PATH, Buffer.alloc(2 * 1024 * 1024), { token: TOKEN });
    expect(big.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // Compressed on the wire (a few KB) but 20 MiB inflated: grpc-js checks the limit after decompression.
    const bomb = await grpcCall(daemon.grpcPort, TRACE_PATH, Buffer.alloc(20 * 1024 * 1024), {
      token: TOKEN,
      channel: { 'grpc.default_compression_algorithm': 2 },
    });
    expect(bomb.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const ok = await grpcCall(daemon.grpcPort, TRACE_PATH, valid, { token: TOKEN });
    expect(ok.code).toBe(grpc.status.OK);
  });

  it('still takes a valid export after all of that', async () => {
    expect(daemon.child.exitCode).toBeNull();
    const request = makeTraceRequest({ spans: 16, errorRate: 0.25, seed: 99 });
    const response = await post(daemon.httpPort, '/v1/traces', zlib.gzipSync(request.body), {
      ...protobuf,
      'Content-Encoding': 'gzip',
    });
    expect(response.status).toBe(200);
    expect((await signatures(daemon)).length).toBeGreaterThan(0);
  });
});

describe.sequential('OTLP receiver over TLS', () => {
  afterAll(stopDaemons);
  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  it.skipIf(!hasOpenssl)(
    'exports over https and grpcs with a self-signed certificate (skipped when openssl is missing)',
    async () => {
      const certDir = mkdtempSync(join(tmpdir(), 'rounds-otlp-tls-'));
      try {
        const key = join(certDir, 'k.pem');
        const cert = join(certDir, 'c.pem');
        const made = spawnSync('openssl', [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-days',
          '1',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          key,
          '-out',
          cert,
        ]);
        expect(made.status, made.stderr?.toString()).toBe(0);
        const ca = readFileSync(cert);
        const daemon = await startDaemon({ OTLP_TLS_CERT_FILE: cert, OTLP_TLS_KEY_FILE: key });
        const https = new ProtoTraceExporter({
          url: `https://127.0.0.1:${daemon.httpPort}/v1/traces`,
          httpAgentOptions: { ca },
        });
        expectAllSucceeded(await traceErrors(https, 'orders-https'));
        await expectOrderSignature(daemon, 'orders-https');
        const grpcs = new GrpcTraceExporter({
          url: `https://127.0.0.1:${daemon.grpcPort}`,
          credentials: grpc.credentials.createSsl(ca),
        });
        expectAllSucceeded(await traceErrors(grpcs, 'orders-grpcs'));
        await expectOrderSignature(daemon, 'orders-grpcs');
        // Plain HTTP against the TLS port gets nowhere.
        await expect(
          post(daemon.httpPort, '/v1/traces', Buffer.alloc(0), { 'Content-Type': 'application/x-protobuf' }),
        ).rejects.toThrow();
      } finally {
        rmSync(certDir, { recursive: true, force: true });
      }
    },
  );
});

describe.sequential('OTLP receiver shutdown', () => {
  afterAll(stopDaemons);
  it('on SIGTERM lets in-flight requests finish with 200, then exits 0', async () => {
    const daemon = await startDaemon();
    const bodies = [0, 1, 2].map((seed) => makeTraceRequest({ spans: 16, errorRate: 0.25, seed: 100 + seed }).body);
    const slices = (body: Buffer) =>
      Array.from({ length: 6 }, (_, i) =>
        body.subarray(Math.floor((i * body.length) / 6), Math.floor(((i + 1) * body.length) / 6)),
      );
    // Each body trickles in over ~1.2 s, so all three are mid-body when SIGTERM arrives.
    const inflight = bodies.map((body) =>
      post(daemon.httpPort, '/v1/traces', slices(body), { 'Content-Type': 'application/x-protobuf' }, { paceMs: 200 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    daemon.child.kill('SIGTERM');
    const responses = await Promise.all(inflight);
    for (const response of responses) expect(response.status).toBe(200);
    expect(await waitForExit(daemon.child, 15_000)).toBe(0);
    expect(daemon.stderr()).toContain('rounds daemon stopped');
    expect(await occurrences(daemon)).toBe(3 * 4);
  });
});
