/**
 * @module TraceSnapshotCapture: a little after an error event was stored, saves the trace around it to the store,
 * so a diagnosis sees the error's parent chain and siblings.
 *
 * Why wait: a trace's spans arrive in several requests (other services, batching SDKs), many after the error
 * span. So when a trace is scheduled, what the receiver's recent-trace buffer holds of it (spans that came
 * before) is copied into an accumulator ({@link TraceAccumulators}), spans of it recorded during the next
 * `settleMs` are added as they arrive, and then the accumulator is saved. Late spans thus never depend on the
 * buffer, which may have evicted them long before. A trace whose accumulator did not fit the memory bound is
 * assembled from the buffer at its due time instead, as far as the buffer still holds it. A trace id scheduled
 * again after its capture is captured again, and the store keeps whichever snapshot holds more spans.
 */
import type { TraceSnapshot, TraceSpan } from '../../domain/index.js';
import type { Logger } from '../../observability/logger.js';
import { TraceAccumulators, type TraceAccumulatorsStats } from './trace-accumulators.js';
import type { RecentTraceBuffer } from './trace-buffer.js';

export interface TraceSnapshotCaptureOptions {
  /** Spans that came before a trace was scheduled are read from it; it offers every later request to us. */
  readonly buffer: Pick<RecentTraceBuffer, 'assemble' | 'watch' | 'unwatch'>;
  /** Stores one batch of snapshots (the sink's saveTraceSnapshots); resolves with how many were written. */
  readonly save: (snapshots: readonly TraceSnapshot[]) => Promise<number>;
  readonly logger: Logger;
  /** From schedule() to capture; default 5000. */
  readonly settleMs?: number;
  /** Trace ids waiting at once, at most; more are dropped and counted. Default 10,000. */
  readonly maxPending?: number;
  /** Spans kept per snapshot (see {@link boundSpans}); default 1000. */
  readonly maxSpansPerSnapshot?: number;
  /**
   * Estimated memory of the spans held for waiting traces; default 8 MiB (some 10,000 typical spans). A trace
   * that does not fit is assembled from the buffer alone when due; late spans that do not fit are dropped.
   */
  readonly maxAccumulatedBytes?: number;
  /** How long stop() waits for the last save; default 5000. */
  readonly stopTimeoutMs?: number;
}

export interface TraceSnapshotCaptureStats {
  readonly pending: number;
  /** Trace ids not taken because maxPending were already waiting, or because capture had stopped. */
  readonly dropped: number;
  /** Snapshots handed to save: due traces with at least one span still buffered. */
  readonly captured: number;
  /** Snapshots the store wrote (new, or bigger than the one it had). */
  readonly written: number;
  /** Save calls that failed; their snapshots are lost, ingest is not affected. */
  readonly failedSaves: number;
}

/** Assembling decodes spans on the event loop; yielding this often keeps a big tick from stalling requests. */
const YIELD_EVERY = 256;

export class TraceSnapshotCapture {
  private readonly buffer: Pick<RecentTraceBuffer, 'assemble' | 'watch' | 'unwatch'>;
  private readonly accumulators: TraceAccumulators;
  private readonly save: (snapshots: readonly TraceSnapshot[]) => Promise<number>;
  private readonly logger: Logger;
  private readonly settleMs: number;
  private readonly maxPending: number;
  private readonly maxSpans: number;
  private readonly stopTimeoutMs: number;
  /** Trace id -> when it is due (performance.now() ms). In schedule order, so due times never decrease. */
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** The one capture in flight: one save at a time keeps memory bounded when the store is slow. */
  private saving: Promise<void> | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private droppedUnreported = 0;
  private counts = { dropped: 0, captured: 0, written: 0, failedSaves: 0 };

  constructor(options: TraceSnapshotCaptureOptions) {
    this.buffer = options.buffer;
    this.save = options.save;
    this.logger = options.logger;
    this.settleMs = options.settleMs ?? 5000;
    this.maxPending = options.maxPending ?? 10_000;
    this.maxSpans = options.maxSpansPerSnapshot ?? 1000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5000;
    this.accumulators = new TraceAccumulators({
      // Twice the snapshot's bound, so boundSpans can still prefer a late root or error over early siblings.
      maxSpansPerTrace: this.maxSpans * 2,
      maxBytes: options.maxAccumulatedBytes ?? 8 * 1024 * 1024,
    });
    this.buffer.watch(this.accumulators);
  }

  /**
   * Captures these traces `settleMs` from now. A trace id already waiting keeps its original time: a busy trace
   * that keeps erroring would otherwise never settle.
   */
  schedule(traceIds: Iterable<string>): void {
    const due = performance.now() + this.settleMs;
    for (const traceId of traceIds) {
      if (traceId === '' || this.pending.has(traceId)) continue;
      if (this.stopped || this.pending.size >= this.maxPending) {
        this.counts.dropped++;
        this.droppedUnreported++;
        continue;
      }
      this.pending.set(traceId, due);
      this.accumulate(traceId);
    }
    this.arm();
  }

  stats(): TraceSnapshotCaptureStats {
    return { pending: this.pending.size, ...this.counts };
  }

  /** What the accumulators of waiting traces hold, and the late spans they collected or dropped. */
  accumulation(): TraceAccumulatorsStats {
    return this.accumulators.stats();
  }

  /** Copies what the buffer holds of a newly scheduled trace now: its spans may be evicted before it is due. */
  private accumulate(traceId: string): void {
    try {
      this.accumulators.open(traceId, boundSpans(this.buffer.assemble(traceId), this.maxSpans));
    } catch (error) {
      this.logger.warn({ err: error, traceId }, 'could not assemble a trace for its snapshot');
    }
  }

  /**
   * Captures every waiting trace now, with the spans collected so far, and waits (at most `stopTimeoutMs`) for that
   * save. Later schedule() calls are dropped. Safe to repeat.
   */
  stop(): Promise<void> {
    if (this.stopping === undefined) {
      this.stopped = true;
      // Waiting traces are captured right now, so no later span can join them.
      this.buffer.unwatch(this.accumulators);
      clearTimeout(this.timer);
      this.timer = undefined;
      const traceIds = [...this.pending.keys()];
      this.pending.clear();
      const flushed = (async () => {
        await this.saving;
        if (traceIds.length > 0) await this.capture(traceIds);
      })();
      this.stopping = this.bounded(flushed, traceIds.length);
    }
    return this.stopping;
  }

  private async bounded(work: Promise<void>, traces: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.stopTimeoutMs);
      timer.unref();
    });
    const late = await Promise.race([work.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.logger.warn({ traces }, `trace snapshots not saved within ${this.stopTimeoutMs} ms of stopping`);
  }

  /** One timer at a time, for the earliest waiting trace, and none while a capture is in flight. */
  private arm(): void {
    if (this.stopped || this.timer !== undefined || this.saving !== undefined) return;
    const first = this.pending.values().next();
    if (first.done) return;
    const delay = Math.min(this.settleMs, Math.max(0, first.value - performance.now()));
    this.timer = setTimeout(() => this.tick(), delay);
    // Never what keeps the process alive: stop() flushes whatever is still waiting.
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    const now = performance.now();
    const due: string[] = [];
    for (const [traceId, at] of this.pending) {
      if (at > now) break;
      due.push(traceId);
    }
    for (const traceId of due) this.pending.delete(traceId);
    if (due.length === 0) {
      this.arm();
      return;
    }
    this.saving = this.capture(due).finally(() => {
      this.saving = undefined;
      this.arm();
    });
  }

  /** Assembles and saves one batch in one save call; never rejects (a lost snapshot must not hurt ingest). */
  private async capture(traceIds: readonly string[]): Promise<void> {
    if (this.droppedUnreported > 0) {
      this.logger.warn(
        { dropped: this.droppedUnreported, maxPending: this.maxPending },
        'trace snapshots skipped: too many traces waiting for capture',
      );
      this.droppedUnreported = 0;
    }
    const capturedAt = Date.now();
    const snapshots: TraceSnapshot[] = [];
    for (let i = 0; i < traceIds.length; i++) {
      if (i > 0 && i % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const traceId = traceIds[i]!;
      try {
        const spans = this.accumulators.take(traceId) ?? this.buffer.assemble(traceId);
        // No spans (evicted before scheduling, or never recorded): nothing worth storing.
        if (spans.length > 0) snapshots.push({ traceId, spans: boundSpans(spans, this.maxSpans), capturedAt });
      } catch (error) {
        this.logger.warn({ err: error, traceId }, 'could not assemble a trace for its snapshot');
      }
    }
    if (snapshots.length === 0) return;
    this.counts.captured += snapshots.length;
    try {
      const written = await this.save(snapshots);
      this.counts.written += written;
      this.logger.debug({ traces: snapshots.length, written }, 'trace snapshots saved');
    } catch (error) {
      this.counts.failedSaves++;
      this.logger.error({ err: error, traces: snapshots.length }, 'saving trace snapshots failed; they are lost');
    }
  }
}

/**
 * At most `max` of a trace's spans, chosen for a diagnosis: error spans (status 2) with all their ancestors
 * first, then spans next to an error (its siblings and children), then the rest, earliest first. Expects and
 * returns spans in start order, as {@link RecentTraceBuffer.assemble} and {@link TraceAccumulators.take} give them.
 */
export function boundSpans(spans: TraceSpan[], max: number): TraceSpan[] {
  if (spans.length <= max) return spans;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const parentOf = (s: TraceSpan) => (s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId));
  const rank = new Map<TraceSpan, number>();
  const near = new Set<string>();
  for (const error of spans) {
    if (error.statusCode !== 2) continue;
    near.add(error.spanId);
    if (error.parentSpanId !== undefined) near.add(error.parentSpanId);
    // Stops at a span already on a chain, which also ends a malformed parent cycle.
    for (let s: TraceSpan | undefined = error; s !== undefined && rank.get(s) !== 0; s = parentOf(s)) rank.set(s, 0);
  }
  for (const s of spans) {
    if (!rank.has(s) && s.parentSpanId !== undefined && near.has(s.parentSpanId)) rank.set(s, 1);
  }
  const order = (s: TraceSpan) => rank.get(s) ?? 2;
  // Sorting is stable, so start order holds within a rank and the earliest of the rest are kept.
  const kept = [...spans].sort((a, b) => order(a) - order(b)).slice(0, max);
  return kept.sort((a, b) => a.startTimeUnixMs - b.startTimeUnixMs);
}
