/** @module Tests of TraceSnapshotCapture on a real RecentTraceBuffer fed real OTLP payloads, under fake timers. */
import { PassThrough } from 'node:stream';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordSpans, serializeSpans } from '../../../test/helpers/otlp-payloads.js';
import type { TraceSnapshot, TraceSpan } from '../../domain/index.js';
import { createLogger } from '../../observability/logger.js';
import { decodeExportRequest } from './decode.js';
import { boundSpans, TraceSnapshotCapture, type TraceSnapshotCaptureOptions } from './snapshot-capture.js';
import { RecentTraceBuffer } from './trace-buffer.js';

const BASE_MS = 1_780_000_000_000;
/** Where the fake clock starts; snapshots say when they were taken by it. */
const NOW = BASE_MS + 60_000;

/** One checkout trace: a server root with a sibling step and a failing step; the failing one comes alone. */
function checkoutTrace(idSeed: number): { error: ReadableSpan[]; rest: ReadableSpan[]; traceId: string } {
  const spans = recordSpans(
    { 'service.name': 'checkout' },
    (tracerFor) => {
      const tracer = tracerFor('http');
      const root = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER, startTime: BASE_MS });
      const parent = trace.setSpan(context.active(), root);
      tracer.startSpan('SELECT cart', { startTime: BASE_MS + 1 }, parent).end(BASE_MS + 2);
      const failing = tracer.startSpan('charge card', { startTime: BASE_MS + 3 }, parent);
      failing.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
      failing.end(BASE_MS + 4);
      root.end(BASE_MS + 10);
    },
    { idSeed },
  );
  const error = spans.filter((s) => s.status.code === SpanStatusCode.ERROR);
  const rest = spans.filter((s) => s.status.code !== SpanStatusCode.ERROR);
  return { error, rest, traceId: spans[0]!.spanContext().traceId };
}

/** Sends spans through the real decoder into the buffer, and returns the trace ids of the error events found. */
function receive(buffer: RecentTraceBuffer, spans: ReadableSpan[], encoding: 'protobuf' | 'json' = 'protobuf') {
  const decoded = decodeExportRequest('traces', encoding, serializeSpans(spans, encoding), buffer);
  return decoded.events.flatMap((event) => (event.traceId === undefined ? [] : [event.traceId]));
}

class RecordingSave {
  readonly calls: TraceSnapshot[][] = [];
  fail: Error | undefined;
  /** When set, save() waits for this before answering. */
  gate: Promise<void> | undefined;
  readonly save = async (snapshots: readonly TraceSnapshot[]): Promise<number> => {
    this.calls.push([...snapshots]);
    if (this.gate) await this.gate;
    if (this.fail) throw this.fail;
    return snapshots.length;
  };
  get traceIds(): string[][] {
    return this.calls.map((call) => call.map((s) => s.traceId));
  }
}

let buffer: RecentTraceBuffer;
let saved: RecordingSave;
let log: string;
const captures: TraceSnapshotCapture[] = [];

function captureWith(options: Partial<TraceSnapshotCaptureOptions> = {}): TraceSnapshotCapture {
  const lines = new PassThrough();
  lines.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const capture = new TraceSnapshotCapture({
    buffer,
    save: saved.save,
    logger: createLogger({ level: 'debug', format: 'json', destination: lines }),
    ...options,
  });
  captures.push(capture);
  return capture;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  buffer = new RecentTraceBuffer({ maxBytes: 1 << 20 });
  saved = new RecordingSave();
  log = '';
});
afterEach(async () => {
  for (const capture of captures.splice(0)) await capture.stop();
  vi.useRealTimers();
});

describe('TraceSnapshotCapture', () => {
  it('captures a trace settleMs after scheduling, with the spans that arrived after the error', async () => {
    const capture = captureWith({ settleMs: 5000 });
    const checkout = checkoutTrace(1);
    const ids = receive(buffer, checkout.error);
    expect(ids).toEqual([checkout.traceId]);
    capture.schedule(ids);

    await vi.advanceTimersByTimeAsync(2000);
    // The parent and the sibling come in a later request, in the other encoding.
    receive(buffer, checkout.rest, 'json');
    await vi.advanceTimersByTimeAsync(2999);
    expect(saved.calls).toEqual([]);

    await vi.advanceTimersByTimeAsync(1);
    expect(saved.traceIds).toEqual([[checkout.traceId]]);
    const snapshot = saved.calls[0]![0]!;
    expect(snapshot.capturedAt).toBe(NOW + 5000);
    expect(snapshot.spans.map((s) => s.name)).toEqual(['POST /checkout', 'SELECT cart', 'charge card']);
    const [root, sibling, failing] = snapshot.spans;
    expect(root!.parentSpanId).toBeUndefined();
    expect(sibling!.parentSpanId).toBe(root!.spanId);
    expect(failing).toMatchObject({ parentSpanId: root!.spanId, statusCode: 2, statusMessage: 'card declined' });
    expect(capture.stats()).toEqual({ pending: 0, dropped: 0, captured: 1, written: 1, failedSaves: 0 });
  });

  it('keeps late spans that the buffer evicted long before the trace was due', async () => {
    // Room for about one small request: every later request evicts the one before.
    buffer = new RecentTraceBuffer({ maxBytes: 1024 });
    const capture = captureWith({ settleMs: 5000 });
    const checkout = checkoutTrace(1);
    capture.schedule(receive(buffer, checkout.error));
    for (let n = 2; n < 6; n++) receive(buffer, checkoutTrace(n).rest);
    await vi.advanceTimersByTimeAsync(2000);
    receive(buffer, checkout.rest, 'json');
    for (let n = 6; n < 10; n++) receive(buffer, checkoutTrace(n).rest);
    expect(buffer.assemble(checkout.traceId)).toEqual([]);

    await vi.advanceTimersByTimeAsync(3000);
    const snapshot = saved.calls[0]![0]!;
    expect(snapshot.spans.map((s) => s.name)).toEqual(['POST /checkout', 'SELECT cart', 'charge card']);
    expect(capture.accumulation()).toMatchObject({ traces: 0, lateSpans: 2, droppedSpans: 0 });
  });

  it('assembles a trace from the buffer when its accumulator does not fit the memory bound', async () => {
    const capture = captureWith({ settleMs: 1000, maxAccumulatedBytes: 1 });
    const checkout = checkoutTrace(1);
    capture.schedule(receive(buffer, checkout.error));
    receive(buffer, checkout.rest);
    await vi.advanceTimersByTimeAsync(1000);
    expect(saved.calls[0]![0]!.spans).toHaveLength(3);
    expect(capture.accumulation()).toMatchObject({ refusedTraces: 1, lateSpans: 0 });
  });

  it('saves all traces due together in one call, and later ones in a later call', async () => {
    const capture = captureWith({ settleMs: 1000 });
    const [a, b, c] = [checkoutTrace(1), checkoutTrace(2), checkoutTrace(3)];
    capture.schedule([...receive(buffer, a.error), ...receive(buffer, b.error)]);
    await vi.advanceTimersByTimeAsync(400);
    capture.schedule(receive(buffer, c.error));
    await vi.advanceTimersByTimeAsync(600);
    expect(saved.traceIds).toEqual([[a.traceId, b.traceId]]);
    await vi.advanceTimersByTimeAsync(400);
    expect(saved.traceIds).toEqual([[a.traceId, b.traceId], [c.traceId]]);
  });

  it('does not duplicate a trace scheduled again while waiting, and captures it again once taken', async () => {
    const capture = captureWith({ settleMs: 1000 });
    const checkout = checkoutTrace(1);
    const ids = receive(buffer, checkout.error);
    capture.schedule(ids);
    await vi.advanceTimersByTimeAsync(900);
    // Keeps its first time: a trace that keeps erroring would otherwise never settle.
    capture.schedule([...ids, ...ids]);
    expect(capture.stats().pending).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(saved.traceIds).toEqual([[checkout.traceId]]);
    expect(saved.calls[0]![0]!.spans).toHaveLength(1);

    // Late spans, and the trace seen again: a second, bigger snapshot.
    receive(buffer, checkout.rest);
    capture.schedule(ids);
    await vi.advanceTimersByTimeAsync(1000);
    expect(saved.traceIds).toEqual([[checkout.traceId], [checkout.traceId]]);
    expect(saved.calls[1]![0]!.spans).toHaveLength(3);
  });

  it('keeps at most maxPending trace ids waiting, counts and reports the ones it drops', async () => {
    const capture = captureWith({ settleMs: 1000, maxPending: 2 });
    const traces = [checkoutTrace(1), checkoutTrace(2), checkoutTrace(3), checkoutTrace(4)];
    capture.schedule(traces.flatMap((t) => receive(buffer, t.error)));
    expect(capture.stats()).toMatchObject({ pending: 2, dropped: 2 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(saved.traceIds).toEqual([[traces[0]!.traceId, traces[1]!.traceId]]);
    expect(log).toContain('too many traces waiting for capture');
    // Room again once the waiting ones were taken.
    capture.schedule([traces[2]!.traceId]);
    expect(capture.stats()).toMatchObject({ pending: 1, dropped: 2 });
  });

  it('saves nothing for a trace with no span left in the buffer', async () => {
    const capture = captureWith({ settleMs: 1000 });
    capture.schedule(['0123456789abcdef0123456789abcdef', 'not a trace id', '']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(saved.calls).toEqual([]);
    expect(capture.stats()).toMatchObject({ pending: 0, captured: 0 });
  });

  it('logs a failed save and keeps capturing', async () => {
    const capture = captureWith({ settleMs: 1000 });
    const [a, b] = [checkoutTrace(1), checkoutTrace(2)];
    saved.fail = new Error('SQLITE_FULL: database or disk is full');
    capture.schedule(receive(buffer, a.error));
    await vi.advanceTimersByTimeAsync(1000);
    expect(log).toContain('saving trace snapshots failed');
    expect(log).toContain('SQLITE_FULL');

    saved.fail = undefined;
    capture.schedule(receive(buffer, b.error));
    await vi.advanceTimersByTimeAsync(1000);
    expect(saved.traceIds).toEqual([[a.traceId], [b.traceId]]);
    expect(capture.stats()).toMatchObject({ captured: 2, written: 1, failedSaves: 1 });
  });

  it('runs one save at a time: traces due meanwhile go in the next call', async () => {
    const capture = captureWith({ settleMs: 1000 });
    const [a, b] = [checkoutTrace(1), checkoutTrace(2)];
    let open!: () => void;
    saved.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    capture.schedule(receive(buffer, a.error));
    await vi.advanceTimersByTimeAsync(1000);
    capture.schedule(receive(buffer, b.error));
    await vi.advanceTimersByTimeAsync(5000);
    expect(saved.traceIds).toEqual([[a.traceId]]);
    saved.gate = undefined;
    open();
    await vi.advanceTimersByTimeAsync(0);
    expect(saved.traceIds).toEqual([[a.traceId], [b.traceId]]);
  });

  it('on stop, captures every waiting trace at once and waits for the save; later schedules are dropped', async () => {
    const capture = captureWith({ settleMs: 60_000 });
    const [a, b] = [checkoutTrace(1), checkoutTrace(2)];
    capture.schedule([...receive(buffer, a.error), ...receive(buffer, b.error)]);
    receive(buffer, a.rest);
    await capture.stop();
    expect(saved.traceIds).toEqual([[a.traceId, b.traceId]]);
    expect(saved.calls[0]!.map((s) => s.spans.length)).toEqual([3, 1]);

    capture.schedule([a.traceId]);
    await capture.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(saved.calls).toHaveLength(1);
    expect(capture.stats()).toMatchObject({ pending: 0, dropped: 1 });
  });

  it('waits for a hanging save on stop only up to stopTimeoutMs', async () => {
    const capture = captureWith({ settleMs: 60_000, stopTimeoutMs: 2000 });
    saved.gate = new Promise<void>(() => {});
    capture.schedule(receive(buffer, checkoutTrace(1).error));
    let stopped = false;
    const stopping = capture.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(log).toContain('trace snapshots not saved within 2000 ms of stopping');
  });
});

describe('boundSpans', () => {
  const span = (n: number, parent: number | undefined, statusCode = 0): TraceSpan => ({
    traceId: 'ab'.repeat(16),
    spanId: `s${n}`,
    ...(parent === undefined ? {} : { parentSpanId: `s${parent}` }),
    name: `span ${n}`,
    service: 'checkout',
    kind: 1,
    startTimeUnixMs: n,
    endTimeUnixMs: n + 1,
    statusCode,
    attributes: {},
  });

  it('keeps a small trace whole', () => {
    const spans = [span(0, undefined), span(1, 0)];
    expect(boundSpans(spans, 2)).toBe(spans);
  });

  it('keeps the error, its ancestors, its siblings and children, then the earliest of the rest', () => {
    // 0 root; 1..20 its children; 21 child of 1 is the error; 22, 23 its siblings; 24 its child.
    const spans = [span(0, undefined)];
    for (let n = 1; n <= 20; n++) spans.push(span(n, 0));
    spans.push(span(21, 1, 2), span(22, 1), span(23, 1), span(24, 21));
    const kept = boundSpans(spans, 8);
    expect(kept.map((s) => s.spanId)).toEqual(['s0', 's1', 's2', 's3', 's21', 's22', 's23', 's24']);
  });

  it('survives a parent cycle', () => {
    const spans = [span(0, 1, 2), span(1, 0), span(2, undefined), span(3, undefined)];
    expect(boundSpans(spans, 2).map((s) => s.spanId)).toEqual(['s0', 's1']);
  });
});
