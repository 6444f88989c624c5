/**
 * @module TraceAccumulators: the spans of traces waiting for their snapshot, collected as they arrive, so a
 * snapshot does not depend on the recent-trace buffer still holding spans that came after the error.
 *
 * When a trace is scheduled for a snapshot, what the buffer holds of it is copied into an accumulator and its
 * trace key is marked wanted. Every request recorded afterwards is offered here first: one comparison per span
 * and one Map lookup per run of spans sharing a trace key, and nothing at all while no trace is wanted. Only
 * spans of wanted traces are decoded. The buffer then has to cover just the spans that arrived before the error
 * was scheduled.
 */
import type { TraceSpan } from '../../domain/index.js';
import { type BufferedSpans, traceKeyFromHex } from './trace-buffer.js';

export interface TraceAccumulatorsOptions {
  /** Spans one accumulator takes; later ones are dropped and counted. */
  maxSpansPerTrace: number;
  /** Estimated memory ({@link estimateSpanBytes}) all accumulators may hold together. */
  maxBytes: number;
}

export interface TraceAccumulatorsStats {
  /** Traces being accumulated. */
  readonly traces: number;
  readonly spans: number;
  readonly bytes: number;
  /** Spans of wanted traces that arrived after their trace was opened. */
  readonly lateSpans: number;
  /** Late spans dropped because their trace or all accumulators were full. */
  readonly droppedSpans: number;
  /** Traces not accumulated because their initial spans did not fit in maxBytes. */
  readonly refusedTraces: number;
}

interface Accumulator {
  readonly traceId: string;
  readonly key: number;
  readonly spans: TraceSpan[];
  /** Span ids held: a retried export delivers the same span twice. */
  readonly spanIds: Set<string>;
  bytes: number;
}

const HEX_32 = /^[0-9a-f]{32}$/;

/**
 * A rough upper estimate of a decoded span's heap footprint: object headers and fields, plus its strings (one
 * byte per character, as V8 stores ASCII) and a slot per attribute. Only used to bound memory, so rough is fine.
 */
export function estimateSpanBytes(span: TraceSpan): number {
  let bytes = 320 + span.traceId.length + span.spanId.length + span.name.length + span.service.length;
  bytes += (span.parentSpanId?.length ?? 0) + (span.statusMessage?.length ?? 0);
  for (const key in span.attributes) {
    const value = span.attributes[key];
    bytes += 48 + key.length + (typeof value === 'string' ? value.length + 16 : 0);
  }
  return bytes;
}

export class TraceAccumulators {
  private readonly maxSpansPerTrace: number;
  private readonly maxBytes: number;
  private readonly byTraceId = new Map<string, Accumulator>();
  /** Trace key -> the accumulators of trace ids with that key (almost always one). */
  private readonly byKey = new Map<number, Accumulator[]>();
  private bytes = 0;
  private spans = 0;
  private counts = { lateSpans: 0, droppedSpans: 0, refusedTraces: 0 };

  constructor(options: TraceAccumulatorsOptions) {
    this.maxSpansPerTrace = options.maxSpansPerTrace;
    this.maxBytes = options.maxBytes;
  }

  /**
   * Starts accumulating a trace with the spans already known of it. Returns false, and holds nothing, when the
   * trace id is not 32 hex digits, is already open, or its spans do not fit in what is left of maxBytes; its
   * snapshot must then come from the buffer alone.
   */
  open(traceIdHex: string, initial: readonly TraceSpan[]): boolean {
    const traceId = traceIdHex.toLowerCase();
    if (!HEX_32.test(traceId) || this.byTraceId.has(traceId)) return false;
    const kept = initial.slice(0, this.maxSpansPerTrace);
    let bytes = 0;
    for (const span of kept) bytes += estimateSpanBytes(span);
    if (this.bytes + bytes > this.maxBytes) {
      this.counts.refusedTraces++;
      return false;
    }
    const accumulator: Accumulator = {
      traceId,
      key: traceKeyFromHex(traceId),
      spans: kept,
      spanIds: new Set(kept.map((span) => span.spanId)),
      bytes,
    };
    this.byTraceId.set(traceId, accumulator);
    const sharing = this.byKey.get(accumulator.key);
    if (sharing === undefined) this.byKey.set(accumulator.key, [accumulator]);
    else sharing.push(accumulator);
    this.bytes += bytes;
    this.spans += kept.length;
    return true;
  }

  /** Takes a trace's spans in start order and stops accumulating it; undefined when it was not open. */
  take(traceIdHex: string): TraceSpan[] | undefined {
    const accumulator = this.byTraceId.get(traceIdHex.toLowerCase());
    if (accumulator === undefined) return undefined;
    this.byTraceId.delete(accumulator.traceId);
    const sharing = this.byKey.get(accumulator.key) ?? [];
    const rest = sharing.filter((other) => other !== accumulator);
    if (rest.length === 0) this.byKey.delete(accumulator.key);
    else this.byKey.set(accumulator.key, rest);
    this.bytes -= accumulator.bytes;
    this.spans -= accumulator.spans.length;
    return accumulator.spans.sort((a, b) => a.startTimeUnixMs - b.startTimeUnixMs);
  }

  /** Collects this request's spans of wanted traces. Called for every recorded request, so it must stay cheap. */
  offer(request: BufferedSpans): void {
    if (this.byKey.size === 0) return;
    const keys = request.traceKeys;
    let lastKey = -1;
    let matched: number[] | undefined;
    for (let i = 0; i < request.count; i++) {
      const key = keys[i]!;
      // Spans of one trace tend to sit together, so most spans cost one comparison.
      if (key === lastKey) continue;
      lastKey = key;
      if (key < 0 || !this.byKey.has(key)) continue;
      if (matched === undefined) matched = [key];
      else if (!matched.includes(key)) matched.push(key);
    }
    if (matched === undefined) return;
    for (const key of matched) {
      for (const accumulator of this.byKey.get(key) ?? [])
        this.append(accumulator, request.spansOf(accumulator.traceId, key));
    }
  }

  stats(): TraceAccumulatorsStats {
    return { traces: this.byTraceId.size, spans: this.spans, bytes: this.bytes, ...this.counts };
  }

  private append(accumulator: Accumulator, spans: readonly TraceSpan[]): void {
    for (const span of spans) {
      if (accumulator.spanIds.has(span.spanId)) continue;
      const bytes = estimateSpanBytes(span);
      if (accumulator.spans.length >= this.maxSpansPerTrace || this.bytes + bytes > this.maxBytes) {
        this.counts.droppedSpans++;
        continue;
      }
      accumulator.spans.push(span);
      accumulator.spanIds.add(span.spanId);
      accumulator.bytes += bytes;
      this.bytes += bytes;
      this.spans++;
      this.counts.lateSpans++;
    }
  }
}
