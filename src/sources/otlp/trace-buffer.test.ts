import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { makeTraceRequest, recordSpans, seededRandom, serializeSpans } from '../../../test/helpers/otlp-payloads.js';
import type { TraceSpan } from '../../domain/index.js';
import { decodeExportRequest } from './decode.js';
import {
  type BufferedSpans,
  RecentTraceBuffer,
  SPAN_INDEX_BYTES,
  traceKeyFromBytes,
  traceKeyFromHex,
} from './trace-buffer.js';

const BASE_MS = 1_780_000_000_000;

/** One trace across two services: a checkout server span with children, and a billing span it called. */
function oneTrace(): { checkout: ReadableSpan[]; billing: ReadableSpan[] } {
  let parent = context.active();
  const checkout = recordSpans(
    { 'service.name': 'checkout' },
    (tracerFor) => {
      const tracer = tracerFor('http');
      const root = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER, startTime: BASE_MS });
      parent = trace.setSpan(context.active(), root);
      for (let i = 0; i < 4; i++) {
        const child = tracer.startSpan(`step ${i}`, { startTime: BASE_MS + 1 + i, attributes: { step: i } }, parent);
        if (i === 3) child.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
        child.end(BASE_MS + 1.5 + i);
      }
      root.end(BASE_MS + 20);
    },
    { idSeed: 41 },
  );
  const billing = recordSpans(
    { 'service.name': 'billing' },
    (tracerFor) => {
      const span = tracerFor('grpc').startSpan(
        'Billing/Charge',
        { kind: SpanKind.SERVER, startTime: BASE_MS + 3.25, attributes: { 'rpc.system': 'grpc', tags: ['a', 'b'] } },
        parent,
      );
      span.end(BASE_MS + 4);
    },
    { idSeed: 42 },
  );
  return { checkout, billing };
}

/** A BufferedSpans of `count` spans of one trace, pinning `bytes`, for eviction arithmetic. */
function fakeRequest(traceIdHex: string, count: number, bytes: number): BufferedSpans {
  const key = traceKeyFromHex(traceIdHex);
  const request: BufferedSpans = {
    bytes,
    body: Buffer.alloc(Math.floor(bytes / 2)),
    locations: [],
    rebase: () => request,
    count,
    traceKeys: new Array(count).fill(key),
    spansOf: (id, wanted): TraceSpan[] =>
      id !== traceIdHex || wanted !== key
        ? []
        : Array.from({ length: count }, (_, index) => ({
            traceId: traceIdHex,
            spanId: index.toString(16).padStart(16, '0'),
            name: `span ${index}`,
            service: 'fake',
            kind: 1,
            startTimeUnixMs: index,
            endTimeUnixMs: index + 1,
            statusCode: 0,
            attributes: {},
          })),
  };
  return request;
}

const traceId = (n: number) => n.toString(16).padStart(32, '0');

describe('RecentTraceBuffer', () => {
  it('assembles a trace whose spans arrived in three requests, in both encodings', () => {
    const { checkout, billing } = oneTrace();
    const id = checkout[0]!.spanContext().traceId;
    const buffer = new RecentTraceBuffer({ maxBytes: 1 << 20 });
    // The error span comes first; the rest of the trace follows in later requests, one of them JSON.
    const error = checkout.filter((span) => span.status.code === SpanStatusCode.ERROR);
    const rest = checkout.filter((span) => span.status.code !== SpanStatusCode.ERROR);
    const first = decodeExportRequest('traces', 'protobuf', serializeSpans(error, 'protobuf'), buffer);
    expect(first.events).toHaveLength(1);
    expect(buffer.assemble(id)).toHaveLength(1);
    decodeExportRequest('traces', 'json', serializeSpans(billing, 'json'), buffer);
    decodeExportRequest('traces', 'protobuf', serializeSpans(rest, 'protobuf'), buffer);

    const spans = buffer.assemble(id.toUpperCase());
    expect(spans.map((span) => span.name)).toEqual([
      'POST /checkout',
      'step 0',
      'step 1',
      'step 2',
      'Billing/Charge',
      'step 3',
    ]);
    const root = spans[0]!;
    expect(root).toMatchObject({ traceId: id, service: 'checkout', kind: 2, startTimeUnixMs: BASE_MS, statusCode: 0 });
    expect(root.parentSpanId).toBeUndefined();
    expect(root.endTimeUnixMs).toBe(BASE_MS + 20);
    for (const span of spans.slice(1)) expect(span.parentSpanId).toBe(root.spanId);
    expect(spans[4]).toMatchObject({
      service: 'billing',
      startTimeUnixMs: BASE_MS + 3.25,
      attributes: { 'rpc.system': 'grpc', tags: '["a","b"]' },
    });
    expect(spans[5]).toMatchObject({ statusCode: 2, statusMessage: 'payment failed', attributes: { step: 3 } });
    expect(buffer.stats()).toMatchObject({ traces: 1, requests: 3 });
  });

  it('assembles the same spans from protobuf and from JSON, and drops duplicates of a retried export', () => {
    const { checkout } = oneTrace();
    const id = checkout[0]!.spanContext().traceId;
    const fromProtobuf = new RecentTraceBuffer({ maxBytes: 1 << 20 });
    const fromJson = new RecentTraceBuffer({ maxBytes: 1 << 20 });
    for (let i = 0; i < 2; i++) {
      decodeExportRequest('traces', 'protobuf', serializeSpans(checkout, 'protobuf'), fromProtobuf);
      decodeExportRequest('traces', 'json', serializeSpans(checkout, 'json'), fromJson);
    }
    expect(fromProtobuf.assemble(id)).toHaveLength(5);
    expect(fromJson.assemble(id)).toEqual(fromProtobuf.assemble(id));
    expect(fromProtobuf.assemble(traceId(12345))).toEqual([]);
    expect(fromProtobuf.assemble('not a trace id')).toEqual([]);
  });

  it('indexes a whole realistic request: every trace in it can be assembled', () => {
    const request = makeTraceRequest({ spans: 128, errorRate: 0.1, seed: 4, baseTimeMs: BASE_MS });
    const buffer = new RecentTraceBuffer({ maxBytes: 1 << 20 });
    decodeExportRequest('traces', 'protobuf', request.body, buffer);
    const ids = new Set(request.spans.map((span) => span.spanContext().traceId));
    expect(buffer.stats()).toEqual({
      bytes: request.body.length + 128 * SPAN_INDEX_BYTES,
      traces: ids.size,
      requests: 1,
    });
    let total = 0;
    for (const id of ids) {
      const spans = buffer.assemble(id);
      expect(spans.every((span) => span.traceId === id)).toBe(true);
      expect(spans.map((span) => span.startTimeUnixMs)).toEqual(
        spans.map((span) => span.startTimeUnixMs).sort((a, b) => a - b),
      );
      total += spans.length;
    }
    expect(total).toBe(128);
  });

  it('evicts the oldest requests first to stay within maxBytes', () => {
    const buffer = new RecentTraceBuffer({ maxBytes: 1000 });
    for (let n = 1; n <= 5; n++) expect(buffer.add(fakeRequest(traceId(n), 3, 300))).toBe(true);
    expect(buffer.stats()).toEqual({ bytes: 900, traces: 3, requests: 3 });
    expect(buffer.assemble(traceId(1))).toEqual([]);
    expect(buffer.assemble(traceId(2))).toEqual([]);
    expect(buffer.assemble(traceId(5))).toHaveLength(3);
    // A request bigger than the whole bound is not buffered, and evicts nothing.
    expect(buffer.add(fakeRequest(traceId(6), 1, 1001))).toBe(false);
    expect(buffer.stats()).toEqual({ bytes: 900, traces: 3, requests: 3 });
  });

  it('keeps a trace spread over several requests until its last request is evicted', () => {
    const buffer = new RecentTraceBuffer({ maxBytes: 1000 });
    buffer.add(fakeRequest(traceId(7), 2, 400));
    buffer.add(fakeRequest(traceId(7), 2, 400));
    expect(buffer.assemble(traceId(7))).toHaveLength(2); // same span ids twice: deduplicated
    buffer.add(fakeRequest(traceId(8), 1, 400));
    expect(buffer.stats()).toEqual({ bytes: 800, traces: 2, requests: 2 });
    expect(buffer.assemble(traceId(7))).toHaveLength(2);
    buffer.add(fakeRequest(traceId(8), 1, 400));
    expect(buffer.stats()).toEqual({ bytes: 800, traces: 1, requests: 2 });
    expect(buffer.assemble(traceId(7))).toEqual([]);
  });

  it('never holds more than maxBytes, whatever the mix of request sizes', () => {
    const { body } = makeTraceRequest({ spans: 64, errorRate: 0.05, seed: 9 });
    const maxBytes = 200_000;
    const buffer = new RecentTraceBuffer({ maxBytes });
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++) {
      if (random() < 0.3) {
        decodeExportRequest('traces', 'protobuf', Buffer.from(body), buffer);
      } else {
        buffer.add(
          fakeRequest(traceId(1 + Math.floor(random() * 50)), 1 + Math.floor(random() * 20), random() * 90_000),
        );
      }
      expect(buffer.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    // Many evictions later, the index only knows traces that are still buffered.
    const stats = buffer.stats();
    expect(stats.requests).toBeGreaterThan(0);
    expect(stats.traces).toBeGreaterThan(0);
  });

  it('keeps its own copy of each body, wrapping around its ring as requests come and go', () => {
    const requests = Array.from({ length: 12 }, (_, seed) =>
      makeTraceRequest({ spans: 16 + seed * 8, errorRate: 0.1, seed: seed + 1 }),
    );
    const sizes = requests.map((r) => r.body.byteLength);
    // Room for about three requests, so the ring wraps several times, with bodies of varying length.
    const buffer = new RecentTraceBuffer({ maxBytes: 3 * Math.max(...sizes) + 4096 });
    for (const request of requests) {
      const body = Buffer.from(request.body);
      decodeExportRequest('traces', 'protobuf', body, buffer);
      // The caller may reuse its body at once: the buffer reads from its copy.
      body.fill(0);
      const traceId = request.spans[0]!.spanContext().traceId;
      const expected = request.spans.filter((s) => s.spanContext().traceId === traceId).length;
      expect(buffer.assemble(traceId)).toHaveLength(expected);
    }
    expect(buffer.stats().requests).toBeGreaterThanOrEqual(2);
  });

  it('offers every request to its watcher, kept or not, until that watcher is removed', () => {
    const buffer = new RecentTraceBuffer({ maxBytes: 0 });
    const offered: number[] = [];
    const watcher = { offer: (spans: BufferedSpans) => offered.push(spans.count) };
    buffer.watch(watcher);
    expect(buffer.add(fakeRequest(traceId(1), 3, 300))).toBe(false);
    buffer.unwatch({ offer: () => {} }); // not the one set: no effect
    buffer.add(fakeRequest(traceId(2), 2, 300));
    buffer.unwatch(watcher);
    buffer.add(fakeRequest(traceId(3), 1, 300));
    expect(offered).toEqual([3, 2]);
  });

  it('derives the same index key from a trace id as bytes and as hex', () => {
    const hex = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(traceKeyFromBytes(Buffer.from(hex, 'hex'), 0)).toBe(traceKeyFromHex(hex));
    expect(traceKeyFromHex('ffffffffffffffffffffffffffffffff')).toBe(0x3fffffff);
    expect(() => new RecentTraceBuffer({ maxBytes: -1 })).toThrow(RangeError);
  });
});
