/**
 * @module Interning of long strings read from request bytes, such as stack traces: one crash site sends the
 * same trace text over and over, and each error event used to bring its own copy (about 1.5 KB in the bench).
 * Those copies live until the event is stored, long enough for V8 to promote many of them to the old generation,
 * where they pile up as garbage until the next full GC: under sustained load at 10% errors they were the largest
 * item of the heap's growth between full GCs (bench/otlp-e2e.bench.ts, BENCH_MEM_PROBE). With interning, events
 * of one crash site share one string, kept here while it keeps coming.
 *
 * Bytes are compared in full (a native memcmp) before a string is reused, so a string is only ever shared with
 * an identical one. The lookup key is a hash of the length and of the first 256 bytes, some in the middle and the
 * last 64; two texts that share a key take turns in the slot, which costs a decode, never a wrong string.
 */

/**
 * Bytes hashed from the start, around the middle and from the end of the text. Traces of one program differ
 * most in their first lines (exception, message, innermost frames), so the start gets the most.
 */
const HEAD_BYTES = 256;
const MIDDLE_BYTES = 32;
const TAIL_BYTES = 64;

export interface StringInternerStats {
  readonly entries: number;
  /** Bytes of the texts held (their strings take about as much again). */
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

interface Entry {
  /** A copy of the text's bytes, to compare with. */
  readonly bytes: Buffer;
  readonly text: string;
  /** Reused since it was inserted or last given a second chance. */
  used: boolean;
}

export class StringInterner {
  private readonly entries = new Map<number, Entry>();
  private heldBytes = 0;
  private hits = 0;
  private misses = 0;

  /**
   * @param minBytes shorter texts are decoded as usual: sharing them saves little.
   * @param maxBytes bytes of all texts held together; a longer text is never held.
   */
  constructor(
    private readonly minBytes: number,
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /** The UTF-8 text of `buf[start, end)`, invalid bytes as U+FFFD: an earlier identical string when one is held. */
  decode(buf: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length < this.minBytes || length > this.maxBytes) return buf.toString('utf8', start, end);
    const key = hashBytes(buf, start, end);
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.bytes.length === length && buf.compare(entry.bytes, 0, length, start, end) === 0) {
      this.hits++;
      // Marked, not moved (re-inserting on every hit churns the Map's table); eviction gives it a second chance.
      entry.used = true;
      return entry.text;
    }
    this.misses++;
    const text = buf.toString('utf8', start, end);
    // Its own allocation: a slice of a pooled or request buffer would keep the whole of it alive.
    const bytes = Buffer.allocUnsafeSlow(length);
    buf.copy(bytes, 0, start, end);
    if (entry !== undefined) {
      this.entries.delete(key);
      this.heldBytes -= entry.bytes.length;
    }
    this.entries.set(key, { bytes, text, used: false });
    this.heldBytes += length;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.heldBytes <= this.maxBytes) break;
      this.entries.delete(oldestKey);
      if (oldest.used) {
        // Map keeps insertion order: a text reused since its last chance goes to the back.
        oldest.used = false;
        this.entries.set(oldestKey, oldest);
      } else {
        this.heldBytes -= oldest.bytes.length;
      }
    }
    return text;
  }

  stats(): StringInternerStats {
    return { entries: this.entries.size, bytes: this.heldBytes, hits: this.hits, misses: this.misses };
  }
}

/** A 31-bit FNV-1a style hash of the length and of up to HEAD_BYTES + MIDDLE_BYTES + TAIL_BYTES bytes. */
function hashBytes(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  let hash = Math.imul(length ^ 0x9e3779b9, 0x85ebca6b);
  if (length <= HEAD_BYTES + MIDDLE_BYTES + TAIL_BYTES) return finish(mix(hash, buf, start, end));
  const middle = start + ((length - MIDDLE_BYTES) >> 1);
  hash = mix(hash, buf, start, start + HEAD_BYTES);
  hash = mix(hash, buf, middle, middle + MIDDLE_BYTES);
  return finish(mix(hash, buf, end - TAIL_BYTES, end));
}

function mix(hash: number, buf: Buffer, from: number, to: number): number {
  let h = hash;
  for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

function finish(hash: number): number {
  return (hash ^ (hash >>> 16)) & 0x7fffffff;
}
