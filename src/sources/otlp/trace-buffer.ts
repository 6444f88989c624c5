/**
 * @module A byte-bounded buffer of recently received spans, so the trace around an error can be assembled a
 * little later: a trace's spans arrive in several requests, some after the error span itself.
 *
 * Recording must cost next to nothing per span, because nearly every span is never looked at again. So the
 * buffer keeps each request whole, as its decoder hands it over (for protobuf: the request's own bytes plus
 * span offsets), keys spans by a 30-bit number taken from the trace id's last four bytes (no string per span),
 * indexes requests (not spans) by those keys, and decodes a trace's spans only when
 * {@link RecentTraceBuffer.assemble} asks for them.
 */
import type { TraceSpan } from '../../domain/index.js';

/**
 * The spans of one request, as a decoder keeps them. The decoder owns the representation; the buffer only
 * indexes, accounts and evicts. The body's memory must not be reused by the caller once handed over.
 */
export interface BufferedSpans {
  /** Memory this request pins, in bytes (body and per-span bookkeeping). */
  readonly bytes: number;
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
  readonly spans: BufferedSpans;
  /** The distinct trace keys of the request's spans: the buckets this entry is listed in. */
  readonly keys: number[];
}

/** The requests holding spans whose trace ids share one key, oldest first. */
class Bucket {
  /** Evicted slots are cleared at once, so an evicted request's body is not kept alive until compaction. */
  entries: (Entry | undefined)[] = [];
  /** Entries before `head` were evicted; kept until compaction so eviction does not shift the array each time. */
  head = 0;

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Drops `entry` if it leads the bucket (it always does when it is the oldest request still buffered). */
  dropLeading(entry: Entry): void {
    if (this.entries[this.head] !== entry) return;
    this.entries[this.head] = undefined;
    this.head++;
    if (this.head > 32 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
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
  /** Buffered requests, oldest first, from `head` on. */
  private requests: (Entry | undefined)[] = [];
  private head = 0;
  private readonly buckets = new Map<number, Bucket>();
  private bytes = 0;

  constructor(options: RecentTraceBufferOptions) {
    if (!(options.maxBytes >= 0)) throw new RangeError('maxBytes must be a non-negative number');
    this.maxBytes = options.maxBytes;
  }

  /**
   * Buffers a request's spans, evicting the oldest requests first to stay within maxBytes. Returns false, and
   * buffers nothing, when the request alone is bigger than maxBytes.
   */
  add(spans: BufferedSpans): boolean {
    if (spans.count === 0 || spans.bytes > this.maxBytes) return false;
    while (this.bytes + spans.bytes > this.maxBytes && this.head < this.requests.length) this.evictOldest();
    const entry: Entry = { spans, keys: [] };
    this.requests.push(entry);
    this.bytes += spans.bytes;
    // The index lists requests per trace key, not spans: one Map lookup per run of spans of one trace (they tend
    // to sit together in a request) instead of one per span; assemble then scans those few requests' keys.
    const keys = spans.traceKeys;
    let lastKey = -1;
    for (let i = 0; i < spans.count; i++) {
      const key = keys[i]!;
      if (key < 0 || key === lastKey) continue;
      lastKey = key;
      let bucket = this.buckets.get(key);
      if (bucket === undefined) {
        bucket = new Bucket();
        this.buckets.set(key, bucket);
      } else if (bucket.entries[bucket.entries.length - 1] === entry) {
        continue;
      }
      bucket.entries.push(entry);
      entry.keys.push(key);
    }
    return true;
  }

  /** The buffered spans of one trace, decoded, without duplicates (by span id), sorted by start time. */
  assemble(traceIdHex: string): TraceSpan[] {
    const traceId = traceIdHex.toLowerCase();
    if (!HEX_32.test(traceId)) return [];
    const key = traceKeyFromHex(traceId);
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return [];
    const seen = new Set<string>();
    const spans: TraceSpan[] = [];
    for (let e = bucket.head; e < bucket.entries.length; e++) {
      for (const span of bucket.entries[e]!.spans.spansOf(traceId, key)) {
        // A retried export delivers the same span twice; the first copy is as good as the second.
        if (seen.has(span.spanId)) continue;
        seen.add(span.spanId);
        spans.push(span);
      }
    }
    return spans.sort((a, b) => a.startTimeUnixMs - b.startTimeUnixMs);
  }

  stats(): RecentTraceBufferStats {
    return { bytes: this.bytes, traces: this.buckets.size, requests: this.requests.length - this.head };
  }

  private evictOldest(): void {
    const entry = this.requests[this.head]!;
    // Cleared now rather than at compaction: the entry pins its whole request body.
    this.requests[this.head] = undefined;
    this.head++;
    if (this.head > 32 && this.head * 2 > this.requests.length) {
      this.requests = this.requests.slice(this.head);
      this.head = 0;
    }
    this.bytes -= entry.spans.bytes;
    for (const key of entry.keys) {
      const bucket = this.buckets.get(key);
      if (bucket === undefined) continue;
      bucket.dropLeading(entry);
      if (bucket.size === 0) this.buckets.delete(key);
    }
  }
}
