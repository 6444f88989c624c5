/**
 * @module A byte-bounded buffer of recently received spans, so the trace around an error can be assembled a
 * little later: a trace's spans arrive in several requests, some after the error span itself.
 *
 * Recording must cost next to nothing per span, because nearly every span is never looked at again. So the
 * buffer keeps each request whole, as its decoder hands it over (for protobuf: the request's own bytes plus
 * span offsets), keys spans by a 30-bit number taken from the trace id's last four bytes (no string per span),
 * and decodes a trace's spans only when {@link RecentTraceBuffer.assemble} asks for them.
 *
 * Everything a request keeps per span (its body, trace keys and offsets) is copied into one ring of memory
 * allocated once, and there is no per-trace index: what the buffer holds on the JS heap is a few small objects
 * per request. Why: whatever the buffer keeps outlives several young-generation GCs and is promoted, and once
 * evicted it is garbage that only a full GC returns; V8 lets that pile up (old space for heap objects, some
 * 64 MiB more for external memory such as bodies) before it runs one. Kept as they came, bodies and per-span
 * arrays made a 16 MiB buffer cost some 90 MB of RSS under sustained load. Copied, what a request arrived in
 * dies young, and the ring costs its size. The price is one memcpy per request and a scan of the buffered trace
 * keys per assembly (some 30,000 int compares per 16 MiB of buffer, well under a millisecond).
 */
import { constants } from 'node:buffer';
import type { TraceSpan } from '../../domain/index.js';

/**
 * The spans of one request, as a decoder keeps them. The decoder owns the representation; the buffer only
 * copies the body, indexes, accounts and evicts.
 */
export interface BufferedSpans {
  /** Memory this request pins, in bytes (body and per-span bookkeeping). */
  readonly bytes: number;
  /** The request bytes the spans are read from. */
  readonly body: Uint8Array;
  /** Int32 numbers the decoder keeps per request besides body and keys (span offsets), if any. */
  readonly locations: ArrayLike<number>;
  /** The same spans, read from copies of {@link body}, {@link traceKeys} and {@link locations}. */
  rebase(body: Buffer, traceKeys: Int32Array, locations: Int32Array): BufferedSpans;
  /** Number of spans; span indexes run from 0 to count - 1. */
  readonly count: number;
  /** The index key ({@link traceKeyFromHex}) of each span's trace id; -1 for a span without a valid trace id. */
  readonly traceKeys: ArrayLike<number>;
  /**
   * This request's spans of one trace, decoded. `key` is the trace id's index key, which only narrows: two ids
   * can share a key, so implementations compare the full id. Spans that cannot be decoded are left out.
   */
  spansOf(traceIdHex: string, key: number): TraceSpan[];
}

/** Rough heap cost of one span's bookkeeping (its key and offsets); charged on top of a request's own bytes. */
export const SPAN_INDEX_BYTES = 48;

const HEX_32 = /^[0-9a-f]{32}$/;
/** The ring is one Buffer, and offsets into a body are kept as int32. */
const RING_MAX = Math.min(constants.MAX_LENGTH, 0x7ffffffc);
const KEY_MASK = 0x3fffffff;

/** The index key of a trace id given as its 16 bytes at `buf[start]`: its last four bytes, cut to a small int. */
export function traceKeyFromBytes(buf: Uint8Array, start: number): number {
  // W3C random trace ids put their randomness in the rightmost bytes, so these spread well; 30 bits keep the
  // key a V8 small integer, which Maps hash without allocating.
  return ((buf[start + 12]! << 24) | (buf[start + 13]! << 16) | (buf[start + 14]! << 8) | buf[start + 15]!) & KEY_MASK;
}

/** The index key of a trace id given as 32 lowercase hex characters (same value as {@link traceKeyFromBytes}). */
export function traceKeyFromHex(hex: string): number {
  let value = 0;
  for (let i = 24; i < 32; i++) {
    const c = hex.charCodeAt(i);
    value = (value << 4) | (c <= 57 ? c - 48 : c - 87);
  }
  return value & KEY_MASK;
}

interface Entry {
  /** Read from the ring. */
  readonly spans: BufferedSpans;
  /** Where its region of the ring starts, and its length. */
  readonly at: number;
  readonly length: number;
}

/** Sees every recorded request before the buffer does, including those it does not keep (too big, buffer off). */
export interface SpanWatcher {
  offer(spans: BufferedSpans): void;
}

export interface RecentTraceBufferOptions {
  /** Upper bound on buffered bytes, as the requests account them. */
  maxBytes: number;
}

export interface RecentTraceBufferStats {
  bytes: number;
  /** Distinct trace keys buffered; equals the number of traces unless two trace ids share a key (rare). */
  traces: number;
  requests: number;
}

export class RecentTraceBuffer {
  private readonly maxBytes: number;
  /** Bytes of the ring. */
  private readonly capacity: number;
  /** Buffered requests, oldest first, from `head` on. */
  private requests: (Entry | undefined)[] = [];
  private head = 0;
  private bytes = 0;
  private watcher: SpanWatcher | undefined;
  /** Allocated on the first request kept, so a receiver that never sees traces costs nothing. */
  private ring: Buffer | undefined;

  constructor(options: RecentTraceBufferOptions) {
    if (!(options.maxBytes >= 0)) throw new RangeError('maxBytes must be a non-negative number');
    this.maxBytes = options.maxBytes;
    this.capacity = Math.min(options.maxBytes, RING_MAX);
  }

  /**
   * Buffers a request's spans, evicting the oldest requests first to stay within maxBytes. Returns false, and
   * buffers nothing, when the request alone is bigger than maxBytes.
   */
  add(spans: BufferedSpans): boolean {
    // First, and whatever happens below: spans of traces waiting for a snapshot must not depend on the buffer.
    this.watcher?.offer(spans);
    const bodyLength = spans.body.byteLength;
    const keysAt = align4(bodyLength);
    const locationsAt = keysAt + 4 * spans.count;
    const length = locationsAt + 4 * spans.locations.length;
    // Real requests need less ring than they account for (4 + 16 bytes per span against SPAN_INDEX_BYTES).
    if (spans.count === 0 || spans.bytes > this.maxBytes || length > this.capacity) return false;
    while (this.bytes + spans.bytes > this.maxBytes && this.head < this.requests.length) this.evictOldest();
    this.ring ??= Buffer.allocUnsafeSlow(this.capacity);
    const at = this.place(length);
    const ring = this.ring;
    ring.set(spans.body, at);
    // `at` and both offsets are multiples of 4, as Int32Array views require.
    const traceKeys = new Int32Array(ring.buffer, ring.byteOffset + at + keysAt, spans.count);
    for (let i = 0; i < spans.count; i++) traceKeys[i] = spans.traceKeys[i]!;
    const locations = new Int32Array(ring.buffer, ring.byteOffset + at + locationsAt, spans.locations.length);
    for (let i = 0; i < locations.length; i++) locations[i] = spans.locations[i]!;
    const copy = spans.rebase(ring.subarray(at, at + bodyLength), traceKeys, locations);
    this.requests.push({ spans: copy, at, length });
    this.bytes += spans.bytes;
    return true;
  }

  /** Sets the one watcher offered every request recorded from now on, replacing any earlier one. */
  watch(watcher: SpanWatcher): void {
    this.watcher = watcher;
  }

  /** Removes `watcher` if it is still the one set (a later watcher stays). */
  unwatch(watcher: SpanWatcher): void {
    if (this.watcher === watcher) this.watcher = undefined;
  }

  /** The buffered spans of one trace, decoded, without duplicates (by span id), sorted by start time. */
  assemble(traceIdHex: string): TraceSpan[] {
    const traceId = traceIdHex.toLowerCase();
    if (!HEX_32.test(traceId)) return [];
    const key = traceKeyFromHex(traceId);
    const seen = new Set<string>();
    const spans: TraceSpan[] = [];
    // No index: each request's spansOf scans its trace keys (an Int32Array), which is cheap next to decoding.
    for (let e = this.head; e < this.requests.length; e++) {
      for (const span of this.requests[e]!.spans.spansOf(traceId, key)) {
        // A retried export delivers the same span twice; the first copy is as good as the second.
        if (seen.has(span.spanId)) continue;
        seen.add(span.spanId);
        spans.push(span);
      }
    }
    return spans.sort((a, b) => a.startTimeUnixMs - b.startTimeUnixMs);
  }

  /** Counts distinct trace keys by scanning every buffered span: for tests and diagnostics, not the hot path. */
  stats(): RecentTraceBufferStats {
    const keys = new Set<number>();
    for (let e = this.head; e < this.requests.length; e++) {
      const { traceKeys, count } = this.requests[e]!.spans;
      for (let i = 0; i < count; i++) if (traceKeys[i]! >= 0) keys.add(traceKeys[i]!);
    }
    return { bytes: this.bytes, traces: keys.size, requests: this.requests.length - this.head };
  }

  /**
   * Where a body of `length` bytes goes in the ring, evicting the oldest requests until it fits. Bodies are laid
   * out in arrival order and wrap around; a body never straddles the end (it must be one contiguous view).
   */
  private place(length: number): number {
    const capacity = this.capacity;
    for (;;) {
      const oldest = this.requests[this.head];
      const newest = this.requests[this.requests.length - 1];
      if (oldest === undefined || newest === undefined) return 0;
      const tail = newest.at + newest.length;
      if (newest.at >= oldest.at) {
        // Not wrapped: free are [tail, capacity) and [0, oldest.at).
        if (capacity - tail >= length) return tail;
        if (oldest.at >= length) return 0;
      } else if (oldest.at - tail >= length) {
        return tail;
      }
      this.evictOldest();
    }
  }

  private evictOldest(): void {
    const entry = this.requests[this.head]!;
    this.requests[this.head] = undefined;
    this.head++;
    if (this.head > 32 && this.head * 2 > this.requests.length) {
      this.requests = this.requests.slice(this.head);
      this.head = 0;
    }
    this.bytes -= entry.spans.bytes;
  }
}

/** Rounds up to a multiple of 4. */
function align4(n: number): number {
  return (n + 3) & ~3;
}
