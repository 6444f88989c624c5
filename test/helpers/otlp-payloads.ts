/**
 * @module Realistic OTLP export requests for tests and benchmarks, made with the real OpenTelemetry SDK and the
 * real exporters' serializers, so the bytes are what a Node service actually sends (OTLP-NOTES §3.1: 3
 * resources with ~25 attributes, 8-10 semconv attributes per span, error spans with a ~1.5 KB stack trace).
 */
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { type Logger, SeverityNumber } from '@opentelemetry/api-logs';
import {
  JsonLogsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  BasicTracerProvider,
  type IdGenerator,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export type PayloadEncoding = 'protobuf' | 'json';

/** A small deterministic PRNG (mulberry32), so a seed always gives the same payload. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hexFrom(random: () => number, chars: number): string {
  let out = '';
  while (out.length < chars)
    out += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, chars);
}

/** Trace and span ids from a seeded PRNG, so tests can rebuild the same ids. */
export function seededIdGenerator(seed: number): IdGenerator {
  const random = seededRandom(seed);
  return { generateTraceId: () => hexFrom(random, 32), generateSpanId: () => hexFrom(random, 16) };
}

export function serializeSpans(spans: ReadableSpan[], encoding: PayloadEncoding): Buffer {
  const serializer = encoding === 'protobuf' ? ProtobufTraceSerializer : JsonTraceSerializer;
  const bytes = serializer.serializeRequest(spans);
  if (bytes === undefined) throw new Error('the trace serializer returned nothing');
  return Buffer.from(bytes);
}

export function serializeLogRecords(records: ReadableLogRecord[], encoding: PayloadEncoding): Buffer {
  const serializer = encoding === 'protobuf' ? ProtobufLogsSerializer : JsonLogsSerializer;
  const bytes = serializer.serializeRequest(records);
  if (bytes === undefined) throw new Error('the logs serializer returned nothing');
  return Buffer.from(bytes);
}

/**
 * Runs `build` against a tracer provider for one resource and returns the spans it ended, in end order.
 * `tracerFor` names the instrumentation scope.
 */
export function recordSpans(
  resourceAttributes: Attributes,
  build: (tracerFor: (scope: string, version?: string) => Tracer) => void,
  options: { idSeed?: number } = {},
): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...(options.idSeed === undefined ? {} : { idGenerator: seededIdGenerator(options.idSeed) }),
  });
  build((scope, version) => provider.getTracer(scope, version));
  return exporter.getFinishedSpans();
}

/** Runs `build` against a logger provider for one resource and returns the records it emitted. */
export function recordLogRecords(
  resourceAttributes: Attributes,
  build: (loggerFor: (scope: string, version?: string) => Logger) => void,
): ReadableLogRecord[] {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  build((scope, version) => provider.getLogger(scope, version));
  return exporter.getFinishedLogRecords();
}

// ---- realistic content ----

const SERVICES = ['checkout', 'billing', 'inventory', 'search', 'users'];

/** About 25 attributes, as a Node service on Kubernetes reports them. */
export function resourceAttributesFor(index: number): Attributes {
  const service = SERVICES[index % SERVICES.length]!;
  return {
    'service.name': `${service}-api`,
    'service.version': `2.${index + 3}.1`,
    'service.namespace': 'shop',
    'service.instance.id': `7f3c2a9e-51b4-4c1e-9d0a-${String(index).padStart(12, '0')}`,
    'deployment.environment.name': 'production',
    'host.name': `${service}-api-7d9f8c6b5-x${index}k2p`,
    'host.id': `i-0a1b2c3d4e5f6${index}789`,
    'host.arch': 'amd64',
    'os.type': 'linux',
    'os.description': 'Linux 6.1.0-18-cloud-amd64',
    'process.pid': 4100 + index,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': '20.20.2',
    'process.runtime.description': 'Node.js',
    'process.executable.name': 'node',
    'process.command': '/app/dist/server.js',
    'k8s.namespace.name': 'shop-prod',
    'k8s.pod.name': `${service}-api-7d9f8c6b5-x${index}k2p`,
    'k8s.deployment.name': `${service}-api`,
    'k8s.node.name': `gke-prod-pool-1-${index}a2b3c4d`,
    'cloud.provider': 'gcp',
    'cloud.region': 'europe-west1',
    'cloud.availability_zone': 'europe-west1-b',
    'container.id': `${'c0ffee'.repeat(10)}${String(index).padStart(4, '0')}`,
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.version': '2.12.1',
  };
}

const FRAMES = [
  'processTicksAndRejections (node:internal/process/task_queues:95:5)',
  'async Promise.all (index 0)',
  'Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)',
  'next (/app/node_modules/express/lib/router/route.js:149:13)',
  'Route.dispatch (/app/node_modules/express/lib/router/route.js:119:3)',
  '/app/node_modules/express/lib/router/index.js:284:15',
  'Function.process_params (/app/node_modules/express/lib/router/index.js:346:12)',
  'Client._handleErrorMessage (/app/node_modules/pg/lib/client.js:338:17)',
  'Connection.emit (node:events:519:28)',
  '/app/node_modules/pg/lib/connection.js:116:12',
  'Parser.parse (/app/node_modules/pg-protocol/dist/parser.js:36:17)',
  'Socket.emit (node:events:519:28)',
  'addChunk (node:internal/streams/readable:559:12)',
  'readableAddChunkPushByteMode (node:internal/streams/readable:510:3)',
  'Readable.push (node:internal/streams/readable:390:5)',
  'TCP.onStreamRead (node:internal/stream_base_commons:191:23)',
];

/** A Node stack trace of about 1.5 KB whose top frames differ by `site`, as distinct bugs would. */
export function nodeStackTrace(errorType: string, message: string, site: number): string {
  const lines = [`${errorType}: ${message}`];
  lines.push(`    at OrderRepository.find${site} (/app/dist/orders/repository.js:${40 + site}:23)`);
  lines.push(`    at OrderService.load (/app/dist/orders/service.js:${112 + site}:31)`);
  lines.push('    at async CheckoutController.submit (/app/dist/checkout/controller.js:58:19)');
  for (const frame of FRAMES) lines.push(`    at ${frame}`);
  lines.push('    at Socket.<anonymous> (/app/node_modules/pg/lib/connection.js:54:12)');
  return lines.join('\n');
}

const ERROR_KINDS = [
  { type: 'TypeError', message: "Cannot read properties of undefined (reading 'id')" },
  { type: 'DatabaseError', message: 'duplicate key value violates unique constraint "orders_pkey"' },
  { type: 'TimeoutError', message: 'Query read timeout after 5000 ms' },
];

function errorFor(index: number): Error {
  const kind = ERROR_KINDS[index % ERROR_KINDS.length]!;
  const error = new Error(kind.message);
  error.name = kind.type;
  error.stack = nodeStackTrace(kind.type, kind.message, index % 7);
  return error;
}

function serverAttributes(route: string, status: number, i: number): Attributes {
  return {
    'http.request.method': i % 4 === 0 ? 'POST' : 'GET',
    'url.path': route.replace(':id', String(1000 + i)),
    'url.scheme': 'https',
    'http.route': route,
    'http.response.status_code': status,
    'server.address': 'api.shop.example',
    'server.port': 443,
    'network.protocol.version': '1.1',
    'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0',
    'client.address': `10.12.${i % 256}.${(i * 7) % 256}`,
  };
}

function middlewareAttributes(route: string, i: number): Attributes {
  return {
    'express.name': i % 2 === 0 ? 'jsonParser' : 'authenticate',
    'express.type': 'middleware',
    'http.route': route,
    'code.function.name': i % 2 === 0 ? 'jsonParser' : 'authenticate',
    'code.file.path': '/app/dist/middleware/index.js',
    'code.line.number': 20 + (i % 30),
    'express.layer.index': i % 8,
    'app.request.id': `req-${i.toString(36)}`,
  };
}

function dbAttributes(i: number): Attributes {
  return {
    'db.system.name': 'postgresql',
    'db.namespace': 'shop',
    'db.operation.name': i % 3 === 0 ? 'INSERT' : 'SELECT',
    'db.collection.name': 'orders',
    'db.query.text': 'SELECT id, status, total_cents, customer_id FROM orders WHERE id = $1 AND tenant_id = $2',
    'server.address': 'orders-db.shop-prod.svc.cluster.local',
    'server.port': 5432,
    'network.peer.address': '10.40.3.17',
    'db.response.returned_rows': i % 5,
  };
}

/** Picks exactly round(n x rate) of the indexes 0..n-1, evenly spread. */
function evenlySpread(rate: number): (i: number) => boolean {
  return (i) => Math.floor((i + 1) * rate + 0.5) > Math.floor(i * rate + 0.5);
}

const ROUTES = ['/api/orders/:id', '/api/cart', '/api/checkout', '/api/users/:id/addresses'];

export interface TraceRequestOptions {
  /** Spans in the request (default 512). */
  spans?: number;
  /** Share of spans that are errors, each with an `exception` event and status ERROR (default 0.1). */
  errorRate?: number;
  encoding?: PayloadEncoding;
  /** Resources (services) the spans are spread over (default 3). */
  resources?: number;
  /** Spans per trace (default 8): a server span, then middleware and database children. */
  spansPerTrace?: number;
  /** Start of the first trace, in ms since the epoch (default: one minute ago). */
  baseTimeMs?: number;
  /** Seed for the ids (default 1). */
  seed?: number;
}

export interface TraceRequest {
  body: Buffer;
  encoding: PayloadEncoding;
  /** Every span in the request, grouped by resource. */
  spans: ReadableSpan[];
  /** The spans that carry an exception event and status ERROR. */
  errorSpans: ReadableSpan[];
}

/**
 * Builds a realistic traces export request: traces of `spansPerTrace` spans, each trace in one service, with
 * exactly round(spans x errorRate) error spans spread evenly. 15% of the other spans carry a small event.
 */
export function makeTraceRequest(options: TraceRequestOptions = {}): TraceRequest {
  const total = options.spans ?? 512;
  const errorRate = options.errorRate ?? 0.1;
  const encoding = options.encoding ?? 'protobuf';
  const resources = options.resources ?? 3;
  const perTrace = Math.max(1, options.spansPerTrace ?? 8);
  const baseTimeMs = options.baseTimeMs ?? Date.now() - 60_000;
  const seed = options.seed ?? 1;
  const isError = evenlySpread(errorRate);

  // Span i of the request belongs to trace floor(i / perTrace), and trace t to resource t % resources.
  const spans: ReadableSpan[] = [];
  for (let r = 0; r < resources; r++) {
    spans.push(
      ...recordSpans(
        resourceAttributesFor(r),
        (tracerFor) => {
          const http = tracerFor('@opentelemetry/instrumentation-http', '0.223.1');
          const express = tracerFor('@opentelemetry/instrumentation-express', '0.62.0');
          const pg = tracerFor('@opentelemetry/instrumentation-pg', '0.61.0');
          for (let first = r * perTrace; first < total; first += perTrace * resources) {
            const traceIndex = first / perTrace;
            const start = baseTimeMs + traceIndex * 25 + 0.123456;
            const route = ROUTES[traceIndex % ROUTES.length]!;
            const count = Math.min(perTrace, total - first);
            const anyError = Array.from({ length: count }, (_, k) => isError(first + k)).some(Boolean);
            const root = http.startSpan(`${first % 4 === 0 ? 'POST' : 'GET'} ${route}`, {
              kind: SpanKind.SERVER,
              startTime: start,
              attributes: serverAttributes(route, anyError ? 500 : 200, first),
            });
            const parent = trace.setSpan(context.active(), root);
            for (let k = 1; k < count; k++) {
              const i = first + k;
              const childStart = start + k * 1.5;
              const span: Span =
                k % 2 === 1
                  ? express.startSpan(
                      `middleware - ${k}`,
                      {
                        kind: SpanKind.INTERNAL,
                        startTime: childStart,
                        attributes: middlewareAttributes(route, i),
                      },
                      parent,
                    )
                  : pg.startSpan(
                      'pg.query:SELECT shop',
                      {
                        kind: SpanKind.CLIENT,
                        startTime: childStart,
                        attributes: dbAttributes(i),
                      },
                      parent,
                    );
              finishSpan(span, i, isError(i), childStart + 1.25);
            }
            finishSpan(root, first, isError(first), start + count * 1.5 + 2);
          }
        },
        { idSeed: seed * 1000 + r },
      ),
    );
  }
  const errorSpans = spans.filter((span) => span.status.code === SpanStatusCode.ERROR);
  return { body: serializeSpans(spans, encoding), encoding, spans, errorSpans };
}

function finishSpan(span: Span, i: number, error: boolean, endTime: number): void {
  if (error) {
    const exception = errorFor(i);
    span.recordException(exception, endTime - 0.5);
    span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
  } else if (i % 20 < 3) {
    span.addEvent('cache.miss', { 'cache.key': `order:${i}` }, endTime - 0.25);
  }
  span.end(endTime);
}

export interface LogsRequestOptions {
  /** Log records in the request (default 512). */
  records?: number;
  /**
   * Share of records that are errors (default 0.1). Alternate errors carry exception attributes (from an Error,
   * as `logger.emit({ exception })` sets them); the others only have ERROR severity and a structured body.
   */
  errorRate?: number;
  encoding?: PayloadEncoding;
  resources?: number;
  baseTimeMs?: number;
}

export interface LogsRequest {
  body: Buffer;
  encoding: PayloadEncoding;
  records: ReadableLogRecord[];
  errorRecords: ReadableLogRecord[];
}

/** Builds a realistic logs export request: INFO chatter with exactly round(records x errorRate) error records. */
export function makeLogsRequest(options: LogsRequestOptions = {}): LogsRequest {
  const total = options.records ?? 512;
  const errorRate = options.errorRate ?? 0.1;
  const encoding = options.encoding ?? 'protobuf';
  const resources = options.resources ?? 3;
  const baseTimeMs = options.baseTimeMs ?? Date.now() - 60_000;
  const isError = evenlySpread(errorRate);
  const records: ReadableLogRecord[] = [];
  const errorRecords: ReadableLogRecord[] = [];
  for (let r = 0; r < resources; r++) {
    const emitted = recordLogRecords(resourceAttributesFor(r), (loggerFor) => {
      const logger = loggerFor('@opentelemetry/instrumentation-pino', '0.50.0');
      for (let i = r; i < total; i += resources) {
        const timestamp = baseTimeMs + i * 3 + 0.654321;
        const attributes = { 'app.request.id': `req-${i.toString(36)}`, 'http.route': ROUTES[i % ROUTES.length]! };
        if (!isError(i)) {
          logger.emit({
            severityNumber: SeverityNumber.INFO,
            severityText: 'info',
            body: `request ${i} completed in ${(i % 50) + 3} ms`,
            attributes,
            timestamp,
          });
        } else if (Math.floor(i * errorRate + 0.5) % 2 === 0) {
          logger.emit({
            severityNumber: SeverityNumber.ERROR,
            severityText: 'error',
            body: `order ${i} could not be loaded`,
            attributes,
            exception: errorFor(i),
            timestamp,
          });
        } else {
          logger.emit({
            severityNumber: SeverityNumber.ERROR,
            severityText: 'error',
            body: { msg: `payment provider refused order ${i}`, provider: 'stripe', code: 402 },
            attributes,
            timestamp,
          });
        }
      }
    });
    records.push(...emitted);
    errorRecords.push(...emitted.filter((record) => (record.severityNumber ?? 0) >= SeverityNumber.ERROR));
  }
  return { body: serializeLogRecords(records, encoding), encoding, records, errorRecords };
}
