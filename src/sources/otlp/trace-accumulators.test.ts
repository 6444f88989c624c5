import { describe, expect, it } from 'vitest';
import type { TraceSpan } from '../../domain/index.js';
import { estimateSpanBytes, TraceAccumulators } from './trace-accumulators.js';
import { type BufferedSpans, traceKeyFromHex } from './trace-buffer.js';

const traceId = (n: number) => n.toString(16).padStart(32, '0');

function span(trace: string, n: number, start = n): TraceSpan {
  return {
    traceId: trace,
    spanId: n.toString(16).padStart(16, '0'),
    name: `span ${n}`,
    service: 'fake',
    kind: 1,
    startTimeUnixMs: start,
    endTimeUnixMs: start + 1,
    statusCode: 0,
    attributes: { 'http.route': '/checkout' },
  };
}

/** A request holding `spans` (grouped by trace as given), counting how often it is asked to decode. */
function request(spans: TraceSpan[]): BufferedSpans & { decoded: number } {
  const result = {
    decoded: 0,
    bytes: 1000,
    body: new Uint8Array(0),
    locations: [],
    rebase: () => result,
    count: spans.length,
    traceKeys: spans.map((s) => traceKeyFromHex(s.traceId)),
    spansOf(id: string, key: number): TraceSpan[] {
      result.decoded++;
      return spans.filter((s) => s.traceId === id && traceKeyFromHex(s.traceId) === key);
    },
  };
  return result;
}

const options = { maxSpansPerTrace: 100, maxBytes: 1 << 20 };

describe('TraceAccumulators', () => {
  it('collects late spans of open traces only, in start order, without duplicates', () => {
    const accumulators = new TraceAccumulators(options);
    const [a, b] = [traceId(1), traceId(2)];
    expect(accumulators.open(a, [span(a, 5)])).toBe(true);
    accumulators.offer(request([span(b, 1), span(a, 3), span(a, 5), span(b, 2)]));
    // A retried export: the same spans again.
    accumulators.offer(request([span(a, 3)]));
    expect(accumulators.take(a)?.map((s) => s.spanId)).toEqual([span(a, 3).spanId, span(a, 5).spanId]);
    expect(accumulators.take(b)).toBeUndefined();
    expect(accumulators.stats()).toMatchObject({ traces: 0, spans: 0, bytes: 0, lateSpans: 1 });
  });

  it('decodes nothing while no trace is wanted, nor a request without a wanted trace key', () => {
    const accumulators = new TraceAccumulators(options);
    const idle = request([span(traceId(1), 1)]);
    accumulators.offer(idle);
    accumulators.open(traceId(2), []);
    const other = request([span(traceId(3), 1), span(traceId(4), 1)]);
    accumulators.offer(other);
    expect([idle.decoded, other.decoded]).toEqual([0, 0]);
  });

  it('tells apart two trace ids sharing a key', () => {
    const accumulators = new TraceAccumulators(options);
    const a = `${'1'.repeat(24)}0000abcd`;
    const b = `${'2'.repeat(24)}0000abcd`;
    expect(traceKeyFromHex(a)).toBe(traceKeyFromHex(b));
    accumulators.open(a, []);
    accumulators.open(b, []);
    accumulators.offer(request([span(a, 1), span(b, 2), span(a, 3)]));
    expect(accumulators.take(a)?.map((s) => s.traceId)).toEqual([a, a]);
    expect(accumulators.take(b)?.map((s) => s.traceId)).toEqual([b]);
  });

  it('bounds spans per trace and memory overall, counting what it drops or refuses', () => {
    const one = estimateSpanBytes(span(traceId(1), 1));
    const accumulators = new TraceAccumulators({ maxSpansPerTrace: 2, maxBytes: one * 3 });
    const [a, b, c] = [traceId(1), traceId(2), traceId(3)];
    accumulators.open(a, [span(a, 1)]);
    accumulators.offer(request([span(a, 2), span(a, 3)]));
    expect(accumulators.stats()).toMatchObject({ spans: 2, lateSpans: 1, droppedSpans: 1 });
    accumulators.open(b, []);
    accumulators.offer(request([span(b, 1), span(b, 2)]));
    expect(accumulators.stats()).toMatchObject({ spans: 3, lateSpans: 2, droppedSpans: 2 });
    // No room left for c's first span: c is refused and must come from the buffer alone.
    expect(accumulators.open(c, [span(c, 1)])).toBe(false);
    expect(accumulators.stats()).toMatchObject({ traces: 2, refusedTraces: 1 });
    accumulators.take(a);
    expect(accumulators.stats()).toMatchObject({ traces: 1, spans: 1, bytes: one });
  });

  it('refuses trace ids that are not 32 hex digits and takes ids in any case', () => {
    const accumulators = new TraceAccumulators(options);
    expect(accumulators.open('not a trace id', [])).toBe(false);
    expect(accumulators.open('AB'.repeat(16), [])).toBe(true);
    expect(accumulators.open('ab'.repeat(16), [])).toBe(false);
    expect(accumulators.take('ab'.repeat(16))).toEqual([]);
  });
});
