import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  makeLogsRequest,
  makeTraceRequest,
  nodeStackTrace,
  recordLogRecords,
  recordSpans,
  resourceAttributesFor,
  seededRandom,
  serializeLogRecords,
  serializeSpans,
} from '../../../test/helpers/otlp-payloads.js';
import type { ErrorEvent } from '../../domain/index.js';
import { deferExportRequest, encodeExportResponse, encodeStatus, decodeExportRequest as rawDecode } from './decode.js';
import { type DecodedExport, OtlpDecodeError, type OtlpEncoding, type OtlpSignal } from './decoded.js';
import { DEPTH_MARKER, MAX_VALUE_DEPTH } from './map.js';
import {
  ANY_TYPE_URL_FIELD,
  ExportLogsServiceResponseType,
  ExportTraceServiceRequestType,
  ExportTraceServiceResponseType,
  RetryInfoType,
  RpcStatusType,
} from './proto.js';
import { RecentTraceBuffer } from './trace-buffer.js';

const BASE_MS = 1_780_000_000_000;

function decode(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer | string): DecodedExport {
  return rawDecode(signal, encoding, typeof body === 'string' ? Buffer.from(body) : body);
}

function hrToMs([seconds, nanos]: [number, number]): number {
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

function byId(events: ErrorEvent[]): Map<string, ErrorEvent> {
  return new Map(events.map((event) => [event.eventId, event]));
}

/** Rewrites every object key of an OTLP/JSON document from lowerCamelCase to snake_case. */
function snakeCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCase);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCase(item)]),
  );
}

/** Applies `change` to every object in a JSON document, depth first. */
function visit(value: unknown, change: (object: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, change);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) visit(item, change);
    change(value as Record<string, unknown>);
  }
}

// A few protobuf bytes by hand, for inputs the SDK cannot produce (nesting, bad UTF-8, missing fields).
function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}
function field(number: number, payload: Uint8Array | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([...varint((number << 3) | 2), ...varint(bytes.length)]), bytes]);
}
function varintField(number: number, value: number): Buffer {
  return Buffer.from([...varint(number << 3), ...varint(value)]);
}
const TRACE_ID = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const SPAN_ID = Buffer.from('b7ad6b7169203331', 'hex');

/** An ExportTraceServiceRequest with one ERROR span carrying `attributes` (encoded KeyValues). */
function errorSpanRequest(...attributes: Buffer[]): Buffer {
  const span = Buffer.concat([
    field(1, TRACE_ID),
    field(2, SPAN_ID),
    field(5, 'GET /deep'),
    ...attributes.map((kv) => field(9, kv)),
    field(15, Buffer.concat([field(2, 'boom'), varintField(3, 2)])),
  ]);
  const resource = field(1, field(1, Buffer.concat([field(1, 'service.name'), field(2, field(1, 'deep-svc'))])));
  return field(1, Buffer.concat([resource, field(2, field(2, span))]));
}

/** AnyValue bytes nested `depth` containers deep: the prefixes are built inside out, then joined once. */
function nestedAnyValue(depth: number, kind: 'array' | 'kvlist'): Buffer {
  const bottom = field(1, 'bottom');
  const prefixes: Buffer[] = [];
  let length = bottom.length;
  const header = (number: number, inner: number) => Buffer.from([...varint((number << 3) | 2), ...varint(inner)]);
  for (let i = 0; i < depth; i++) {
    const level: Buffer[] = [];
    if (kind === 'array') {
      // AnyValue { array_value: ArrayValue { values: [value] } }
      const values = header(1, length);
      level.push(header(5, values.length + length), values);
    } else {
      // AnyValue { kvlist_value: KeyValueList { values: [KeyValue { key: 'k', value }] } }
      const keyValue = Buffer.concat([field(1, 'k'), header(2, length)]);
      const values = header(1, keyValue.length + length);
      level.push(header(6, values.length + keyValue.length + length), values, keyValue);
    }
    const prefix = Buffer.concat(level);
    length += prefix.length;
    prefixes.push(prefix);
  }
  return Buffer.concat([...prefixes.reverse(), bottom]);
}

function depthOf(value: unknown): number {
  let depth = 0;
  let current = value;
  while (typeof current === 'object' && current !== null) {
    current = Array.isArray(current) ? current[0] : (current as Record<string, unknown>).k;
    depth++;
  }
  expect(current).toBe(DEPTH_MARKER);
  return depth;
}

describe('decodeExportRequest: traces from the real SDK', () => {
  const request = makeTraceRequest({ spans: 96, errorRate: 0.1, seed: 7, baseTimeMs: BASE_MS });
  const spanResource = (span: ReadableSpan) => span.resource.attributes;

  it('turns exactly the error spans into events with the span, resource and exception fields', () => {
    const { events, itemCount } = decode('traces', 'protobuf', request.body);
    expect(itemCount).toBe(96);
    expect(request.errorSpans).toHaveLength(10);
    expect(events).toHaveLength(10);
    const events_ = byId(events);
    for (const span of request.errorSpans) {
      const { traceId, spanId } = span.spanContext();
      const event = events_.get(`${traceId}:${spanId}:0`);
      const exception = span.events.find((e) => e.name === 'exception')!;
      expect(event).toMatchObject({
        traceId,
        spanId,
        service: spanResource(span)['service.name'],
        serviceVersion: spanResource(span)['service.version'],
        environment: 'production',
        operation: span.name,
        language: 'nodejs',
        errorType: exception.attributes?.['exception.type'],
        message: exception.attributes?.['exception.message'],
        stackTrace: exception.attributes?.['exception.stacktrace'],
        timestamp: hrToMs(exception.time),
        source: 'otlp',
      });
      expect(event?.stackTrace?.length).toBeGreaterThan(1200);
      // Span attributes, a chosen few resource attributes, and the instrumentation scope.
      expect(event?.attributes).toMatchObject({ ...span.attributes, 'host.name': spanResource(span)['host.name'] });
      expect(event?.attributes['otel.scope.name']).toBe(span.instrumentationScope.name);
      expect(event?.attributes).not.toHaveProperty('os.type');
      expect(event?.attributes).not.toHaveProperty('service.name');
    }
  });

  it('gives identical events for the same spans sent as protobuf and as JSON', () => {
    const json = serializeSpans(request.spans, 'json');
    expect(decode('traces', 'json', json)).toEqual(decode('traces', 'protobuf', request.body));
  });

  it('accepts snake_case keys, int64 as strings, enum names and upper-case hex ids in JSON', () => {
    const document = JSON.parse(serializeSpans(request.spans, 'json').toString());
    visit(document, (object) => {
      if (typeof object.intValue === 'number') object.intValue = String(object.intValue);
      if (object.kind === SpanKind.SERVER + 1) object.kind = 'SPAN_KIND_SERVER';
      if (typeof object.traceId === 'string') object.traceId = object.traceId.toUpperCase();
      if (typeof object.spanId === 'string') object.spanId = object.spanId.toUpperCase();
      if (object.code === 2) object.code = 'STATUS_CODE_ERROR';
    });
    const lenient = decode('traces', 'json', JSON.stringify(snakeCase(document)));
    expect(lenient).toEqual(decode('traces', 'protobuf', request.body));
  });

  it('accepts nanosecond times as JSON numbers and ignores unknown fields', () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }], entityRefs: [] },
          futureField: { anything: true },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_ID.toString('hex'),
                  spanId: SPAN_ID.toString('hex'),
                  name: 'GET /',
                  startTimeUnixNano: 1_700_000_000_000_000_000,
                  endTimeUnixNano: 1_700_000_001_500_000_000,
                  status: { code: 2, message: 'failed' },
                  unknown: [1, 2, 3],
                },
              ],
            },
          ],
        },
      ],
    });
    const [event] = decode('traces', 'json', body).events;
    expect(event).toMatchObject({ eventId: `${TRACE_ID.toString('hex')}:${SPAN_ID.toString('hex')}:status` });
    expect(event?.timestamp).toBe(1_700_000_001_500);
  });

  it('builds the same events when deferred, and buffers the request once they are built', () => {
    const request = makeTraceRequest({ spans: 64, errorRate: 0.2, encoding: 'protobuf', seed: 7 });
    const eager = rawDecode('traces', 'protobuf', request.body);
    const buffer = new RecentTraceBuffer({ maxBytes: 1024 * 1024 });
    const deferred = deferExportRequest('traces', 'protobuf', request.body, buffer);
    expect(deferred.itemCount).toBe(eager.itemCount);
    expect(deferred.pendingCount).toBe(request.errorSpans.length);
    expect(buffer.stats().requests).toBe(0);
    expect(deferred.errorEvents()).toEqual(eager.events);
    expect(buffer.stats().requests).toBe(1);
    expect(() => deferred.errorEvents()).toThrow();
    // Without error spans there is nothing to defer: buffered at once.
    const quiet = makeTraceRequest({ spans: 16, errorRate: 0, encoding: 'protobuf', seed: 8 });
    const none = deferExportRequest('traces', 'protobuf', quiet.body, buffer);
    expect(none.pendingCount).toBe(0);
    expect(buffer.stats().requests).toBe(2);
  });

  it('counts spans without errors but maps none of them', () => {
    const clean = makeTraceRequest({ spans: 40, errorRate: 0, seed: 2 });
    expect(decode('traces', 'protobuf', clean.body)).toEqual({ events: [], itemCount: 40 });
    expect(decode('traces', 'json', serializeSpans(clean.spans, 'json'))).toEqual({ events: [], itemCount: 40 });
  });

  it('treats an empty body, and an empty JSON object, as an empty request', () => {
    for (const signal of ['traces', 'logs'] as const) {
      expect(decode(signal, 'protobuf', Buffer.alloc(0))).toEqual({ events: [], itemCount: 0 });
      expect(decode(signal, 'json', Buffer.alloc(0))).toEqual({ events: [], itemCount: 0 });
      expect(decode(signal, 'json', '{}')).toEqual({ events: [], itemCount: 0 });
    }
  });
});

describe('decodeExportRequest: span error shapes', () => {
  /** One span per call of `shape`, all in one request, from a resource with an older environment key. */
  function spansOf(...shapes: ((span: import('@opentelemetry/api').Span) => void)[]): ReadableSpan[] {
    return recordSpans(
      { 'service.name': 'orders', 'deployment.environment': 'staging', 'vcs.ref.head.name': 'main' },
      (tracerFor) => {
        const tracer = tracerFor('manual');
        shapes.forEach((shape, i) => {
          const span = tracer.startSpan(`op-${i}`, { startTime: BASE_MS + i });
          shape(span);
          span.end(BASE_MS + i + 5);
        });
      },
      { idSeed: 99 },
    );
  }
  const failed = (attributes: Record<string, string | number>, message = 'it failed') => {
    return (span: import('@opentelemetry/api').Span) => {
      span.setAttributes(attributes);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    };
  };

  it('names status-only errors by error.type, then HTTP status, then gRPC status, then SpanError', () => {
    const spans = spansOf(
      failed({ 'error.type': 'java.net.SocketTimeoutException', 'http.response.status_code': 504 }),
      failed({ 'error.type': '_OTHER', 'http.response.status_code': 503 }),
      failed({ 'http.status_code': 502 }),
      failed({ 'rpc.grpc.status_code': 14 }),
      failed({}),
      (span) => span.setStatus({ code: SpanStatusCode.OK }),
    );
    for (const encoding of ['protobuf', 'json'] as const) {
      const { events, itemCount } = decode('traces', encoding, serializeSpans(spans, encoding));
      expect(itemCount).toBe(6);
      expect(events.map((event) => event.errorType)).toEqual([
        'java.net.SocketTimeoutException',
        'HTTP 503',
        'HTTP 502',
        'UNAVAILABLE',
        'SpanError',
      ]);
      for (const [i, event] of events.entries()) {
        const context_ = spans[i]!.spanContext();
        expect(event.eventId).toBe(`${context_.traceId}:${context_.spanId}:status`);
        expect(event.message).toBe('it failed');
        expect(event.timestamp).toBe(BASE_MS + i + 5);
        expect(event.environment).toBe('staging');
        expect(event.attributes['vcs.ref.head.name']).toBe('main');
        expect(event.stackTrace).toBeUndefined();
      }
    }
  });

  it('makes one event per exception event, also on spans whose status is not ERROR', () => {
    const spans = spansOf((span) => {
      span.recordException(Object.assign(new Error('first'), { name: 'RangeError' }), BASE_MS + 1);
      span.recordException('just a message', BASE_MS + 2);
    });
    const { traceId, spanId } = spans[0]!.spanContext();
    const { events } = decode('traces', 'protobuf', serializeSpans(spans, 'protobuf'));
    expect(events.map((event) => [event.eventId, event.errorType, event.message, event.timestamp])).toEqual([
      [`${traceId}:${spanId}:0`, 'RangeError', 'first', BASE_MS + 1],
      [`${traceId}:${spanId}:1`, 'Exception', 'just a message', BASE_MS + 2],
    ]);
    expect(decode('traces', 'json', serializeSpans(spans, 'json')).events).toEqual(events);
  });

  it('defaults the service to unknown_service and identifies id-less spans by content', () => {
    const body = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x', startTimeUnixNano: '5', status: { code: 2 } }] }] }],
    });
    const first = decode('traces', 'json', body).events;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ service: 'unknown_service', errorType: 'SpanError', message: '' });
    expect(first[0]?.eventId).toMatch(/^span:[0-9a-f]{16}:status$/);
    expect(decode('traces', 'json', body).events[0]?.eventId).toBe(first[0]?.eventId);
  });
});

describe('decodeExportRequest: logs from the real SDK', () => {
  const request = makeLogsRequest({ records: 60, errorRate: 0.1, baseTimeMs: BASE_MS });

  it('keeps records with exception attributes or ERROR severity', () => {
    const { events, itemCount } = decode('logs', 'protobuf', request.body);
    expect(itemCount).toBe(60);
    expect(request.errorRecords).toHaveLength(6);
    expect(events).toHaveLength(6);
    const withException = events.filter((event) => event.stackTrace !== undefined);
    expect(withException).toHaveLength(3);
    for (const event of withException) {
      expect(['TypeError', 'DatabaseError', 'TimeoutError']).toContain(event.errorType);
      expect(event.stackTrace).toContain(`${event.errorType}: ${event.message}`);
      expect(event.attributes).not.toHaveProperty('exception.stacktrace');
      expect(event.attributes['app.request.id']).toMatch(/^req-/);
    }
    for (const event of events.filter((e) => e.stackTrace === undefined)) {
      expect(event.errorType).toBe('error');
      expect(JSON.parse(event.message)).toMatchObject({ provider: 'stripe', code: 402 });
    }
    for (const event of events) {
      expect(event.eventId).toMatch(/^log:\d{19}:[0-9a-f]{16}$/);
      expect(event.timestamp).toBeGreaterThanOrEqual(BASE_MS);
      expect(event.service).toMatch(/-api$/);
    }
  });

  it('gives identical, stable events for protobuf and JSON', () => {
    const protobuf = decode('logs', 'protobuf', request.body);
    expect(decode('logs', 'json', serializeLogRecords(request.records, 'json'))).toEqual(protobuf);
    expect(decode('logs', 'protobuf', request.body)).toEqual(protobuf);
  });

  it('uses the trace context, the nanosecond time and the body in the event id', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    const records = recordLogRecords({ 'service.name': 'worker' }, (loggerFor) => {
      const logger = loggerFor('jobs');
      const ctx = trace.setSpanContext(context.active(), { traceId, spanId, traceFlags: 1 });
      for (const body of ['disk full', 'disk full', 'disk nearly full']) {
        logger.emit({
          severityNumber: SeverityNumber.FATAL,
          body,
          timestamp: [1_780_000_000, 123_456_789],
          context: ctx,
        });
      }
      logger.emit({ severityNumber: SeverityNumber.WARN, body: 'slow', timestamp: BASE_MS });
    });
    const { events, itemCount } = decode('logs', 'protobuf', serializeLogRecords(records, 'protobuf'));
    expect(itemCount).toBe(4);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ traceId, spanId, errorType: 'LogError', message: 'disk full' });
    expect(events[0]?.eventId).toMatch(new RegExp(`^${traceId}:${spanId}:1780000000123456789:[0-9a-f]{16}$`));
    expect(events[1]?.eventId).toBe(events[0]?.eventId);
    expect(events[2]?.eventId).not.toBe(events[0]?.eventId);
    expect(events[0]?.timestamp).toBe(1_780_000_000_123);
  });
});

describe('decodeExportRequest: hostile input', () => {
  const request = makeTraceRequest({ spans: 24, errorRate: 0.25, seed: 3, baseTimeMs: BASE_MS });
  const logs = makeLogsRequest({ records: 24, errorRate: 0.25, baseTimeMs: BASE_MS });

  /** Runs `body` through every decoder (with a trace buffer, assembling what it kept): only OtlpDecodeError. */
  function survives(body: Buffer): void {
    for (const signal of ['traces', 'logs'] as const) {
      for (const encoding of ['protobuf', 'json'] as const) {
        const buffer = new RecentTraceBuffer({ maxBytes: 1 << 20 });
        try {
          const result = rawDecode(signal, encoding, body, buffer);
          expect(result.itemCount).toBeGreaterThanOrEqual(0);
          for (const event of result.events) if (event.traceId) buffer.assemble(event.traceId);
        } catch (error) {
          if (!(error instanceof OtlpDecodeError)) throw error;
        }
      }
    }
  }

  it('rejects garbage bytes with OtlpDecodeError or decodes them to something harmless', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 300; i++) {
      const body = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)),
      );
      survives(body);
    }
    expect(() => decode('traces', 'protobuf', Buffer.from([0xff, 0xff, 0xff]))).toThrow(OtlpDecodeError);
    expect(() => decode('traces', 'json', 'not json')).toThrow(OtlpDecodeError);
  });

  it('survives every truncation and single-byte corruption of a real request', () => {
    for (const body of [request.body, logs.body]) {
      for (let length = 0; length < body.length; length += 29) survives(body.subarray(0, length));
      const random = seededRandom(5);
      for (let i = 0; i < 150; i++) {
        const corrupted = Buffer.from(body);
        corrupted[Math.floor(random() * corrupted.length)] = Math.floor(random() * 256);
        survives(corrupted);
      }
    }
    expect(() => decode('traces', 'protobuf', request.body.subarray(0, request.body.length - 3))).toThrow('truncated');
  });

  it('names the JSON path of a value of the wrong type', () => {
    const cases: [OtlpSignal, unknown, string][] = [
      ['traces', [], 'request: expected a JSON object'],
      ['traces', { resourceSpans: 5 }, 'request.resourceSpans: expected an array'],
      ['traces', { resourceSpans: [{ scopeSpans: [{ spans: 5 }] }] }, 'resourceSpans[0].scopeSpans[0].spans'],
      ['traces', { resourceSpans: [{ scopeSpans: [{ spans: ['x'] }] }] }, 'resourceSpans[0].scopeSpans[0].spans[0]'],
      [
        'traces',
        { resourceSpans: [{ scopeSpans: [{ spans: [{ status: { code: 2 }, attributes: 'x' }] }] }] },
        'resourceSpans[0].scopeSpans[0].spans[0].attributes: expected an array',
      ],
      [
        'traces',
        { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'abc' }] }] }] },
        'spans[0].traceId: expected 32 hex characters',
      ],
      [
        'traces',
        { resourceSpans: [{ resource: { attributes: [{ key: 7 }] } }] },
        'resourceSpans[0].resource.attributes[0].key',
      ],
      [
        'traces',
        { resourceSpans: [{ scopeSpans: [{ spans: [{ status: { code: {} } }] }] }] },
        'spans[0].status.code: expected an enum',
      ],
      [
        'traces',
        { resourceSpans: [{ scopeSpans: [{ spans: [{ status: { code: 2 }, kind: 'toString' }] }] }] },
        'spans[0].kind: expected an enum',
      ],
      [
        'logs',
        { resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 17, body: { intValue: 'x' } }] }] }] },
        'logRecords[0].body.intValue',
      ],
      [
        'logs',
        { resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 17, timeUnixNano: -1 }] }] }] },
        'logRecords[0].timeUnixNano',
      ],
    ];
    for (const [signal, document, message] of cases) {
      expect(() => decode(signal, 'json', JSON.stringify(document))).toThrow(OtlpDecodeError);
      expect(() => decode(signal, 'json', JSON.stringify(document))).toThrow(message);
    }
  });

  it('decodes invalid UTF-8 with replacement characters instead of throwing', () => {
    const kv = Buffer.concat([field(1, 'exception.message'), field(2, field(1, 'bad:XX'))]);
    const event = Buffer.concat([field(2, 'exception'), field(3, kv)]);
    const bytes = field(
      1,
      field(2, field(2, Buffer.concat([field(1, TRACE_ID), field(2, SPAN_ID), field(5, 'name:XX'), field(11, event)]))),
    );
    // Overwrite each placeholder with a byte that is never valid UTF-8 and a lead byte without its continuation.
    for (let at = bytes.indexOf('XX'); at >= 0; at = bytes.indexOf('XX')) {
      bytes[at] = 0xff;
      bytes[at + 1] = 0xc3;
    }
    const [result] = decode('traces', 'protobuf', bytes).events;
    expect(result?.message).toBe('bad:\ufffd\ufffd');
    expect(result?.operation).toBe('name:\ufffd\ufffd');
    const json = Buffer.concat([
      Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","status":{"code":2}}]}]}]}'),
    ]);
    expect(decode('traces', 'json', json).events[0]?.operation).toBe('\ufffd\ufffd');
  });

  it('caps attribute nesting 10,000 deep at the depth limit, in protobuf and JSON', () => {
    for (const kind of ['array', 'kvlist'] as const) {
      const kv = Buffer.concat([field(1, 'deep'), field(2, nestedAnyValue(10_000, kind))]);
      const [event] = decode('traces', 'protobuf', errorSpanRequest(kv)).events;
      expect(depthOf(event?.attributes.deep)).toBe(MAX_VALUE_DEPTH);
    }
    const open = '{"arrayValue":{"values":['.repeat(10_000);
    const close = ']}}'.repeat(10_000);
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":2},"attributes":[{"key":"deep","value":${open}{"stringValue":"bottom"}${close}}]}]}]}]}`;
    expect(depthOf(decode('traces', 'json', body).events[0]?.attributes.deep)).toBe(MAX_VALUE_DEPTH);
    const kvOpen = '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(10_000);
    const kvClose = '}]}}'.repeat(10_000);
    const logBody = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":17,"body":${kvOpen}{"stringValue":"x"}${kvClose}}]}]}]}`;
    const [log] = decode('logs', 'json', logBody).events;
    expect(log?.message.length).toBeLessThan(1000);
    expect(log?.message).toContain(DEPTH_MARKER);
  });

  it('keeps ints beyond 2^53 exact as strings and non-finite doubles as names', () => {
    const request_ = ExportTraceServiceRequestType.encode({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  status: { code: 2 },
                  attributes: [
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'neg', value: { intValue: -5 } },
                    { key: 'nan', value: { doubleValue: Number.NaN } },
                    { key: 'bytes', value: { bytesValue: Buffer.from([1, 2, 3]) } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    }).finish();
    const [event] = decode('traces', 'protobuf', Buffer.from(request_)).events;
    expect(event?.attributes).toMatchObject({ big: '9007199254740993', neg: -5, nan: 'NaN', bytes: 'AQID' });
    const json = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_ID.toString('hex'),
                  spanId: SPAN_ID.toString('hex'),
                  status: { code: 2 },
                  attributes: [
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'neg', value: { intValue: '-5' } },
                    { key: 'nan', value: { doubleValue: 'NaN' } },
                    { key: 'bytes', value: { bytesValue: 'AQID' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(decode('traces', 'json', json).events[0]?.attributes).toEqual(event?.attributes);
  });

  it('does not let an attribute named __proto__ change an object prototype', () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  status: { code: 2 },
                  attributes: [
                    {
                      key: '__proto__',
                      value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } },
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const [event] = decode('traces', 'json', body).events;
    expect(Object.getPrototypeOf(event?.attributes)).toBe(Object.prototype);
    expect(Object.hasOwn(event?.attributes ?? {}, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('encodeExportResponse and encodeStatus', () => {
  it('encodes the empty success responses', () => {
    expect(encodeExportResponse('traces', 'protobuf')).toHaveLength(0);
    expect(ExportTraceServiceResponseType.decode(encodeExportResponse('traces', 'protobuf')).toJSON()).toEqual({});
    expect(ExportLogsServiceResponseType.decode(encodeExportResponse('logs', 'protobuf')).toJSON()).toEqual({});
    expect(encodeExportResponse('logs', 'json').toString()).toBe('{}');
  });

  it('encodes google.rpc.Status with a RetryInfo detail in protobuf and JSON', () => {
    const protobuf = RpcStatusType.toObject(
      RpcStatusType.decode(encodeStatus('protobuf', { code: 14, message: 'busy', retryDelaySeconds: 1.5 })),
      { longs: Number },
    );
    expect(protobuf).toMatchObject({ code: 14, message: 'busy' });
    expect(protobuf.details[0][ANY_TYPE_URL_FIELD]).toBe('type.googleapis.com/google.rpc.RetryInfo');
    expect(RetryInfoType.toObject(RetryInfoType.decode(protobuf.details[0].value), { longs: Number })).toEqual({
      retryDelay: { seconds: 1, nanos: 500_000_000 },
    });
    expect(JSON.parse(encodeStatus('json', { code: 14, message: 'busy', retryDelaySeconds: 2 }).toString())).toEqual({
      code: 14,
      message: 'busy',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }],
    });
    const plain = RpcStatusType.decode(encodeStatus('protobuf', { code: 3, message: 'bad data' }));
    expect(RpcStatusType.toObject(plain)).toEqual({ code: 3, message: 'bad data' });
    expect(JSON.parse(encodeStatus('json', { code: 3, message: 'bad data' }).toString())).toEqual({
      code: 3,
      message: 'bad data',
      details: [],
    });
  });
});

describe('payload builders', () => {
  it('build the realistic request of OTLP-NOTES §3.1', () => {
    const { body, spans, errorSpans } = makeTraceRequest({ spans: 512, errorRate: 0.1, seed: 1 });
    expect(spans).toHaveLength(512);
    expect(errorSpans).toHaveLength(51);
    expect(new Set(spans.map((span) => span.resource.attributes['service.name'])).size).toBe(3);
    expect(Object.keys(resourceAttributesFor(0)).length).toBeGreaterThanOrEqual(20);
    expect(body.length).toBeGreaterThan(250_000);
    expect(body.length).toBeLessThan(400_000);
    expect(nodeStackTrace('TypeError', 'x', 1).length).toBeGreaterThan(1200);
  });
});
