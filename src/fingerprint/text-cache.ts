/** @module A least-recently-used cache keyed by long texts (stack traces), bounded by entries and by text size. */

interface Entry<V> {
  readonly text: string;
  readonly value: V;
}

/** Characters taken from each end and from the middle of a text to build its lookup key. */
const HEAD_CHARS = 64;
const MIDDLE_CHARS = 64;
const TAIL_CHARS = 160;

/**
 * Looking a 3 KB trace up by the trace itself makes V8 hash all of it on every event (each event brings its
 * own string). The lookup key here is the length plus both ends, where traces differ most (the exception line
 * and the innermost frames); the full text is then compared, so two texts that share a key are never confused:
 * the newer one simply replaces the older. Measured in bench/fingerprint.bench.ts.
 */
export class TextCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private textChars = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxTextChars: number,
  ) {}

  get(text: string): V | undefined {
    const key = keyOf(text);
    const entry = this.entries.get(key);
    if (entry === undefined || entry.text !== text) return undefined;
    // Map keeps insertion order: re-inserting makes the first key the least recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(text: string, value: V): void {
    if (text.length > this.maxTextChars) return;
    const key = keyOf(text);
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.textChars -= previous.text.length;
    }
    this.entries.set(key, { text, value });
    this.textChars += text.length;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.textChars <= this.maxTextChars) break;
      this.entries.delete(oldestKey);
      this.textChars -= oldest.text.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

function keyOf(text: string): string {
  if (text.length <= HEAD_CHARS + MIDDLE_CHARS + TAIL_CHARS) return text;
  const middle = (text.length - MIDDLE_CHARS) >> 1;
  return `${text.length}\u0000${text.slice(0, HEAD_CHARS)}\u0000${text.slice(middle, middle + MIDDLE_CHARS)}\u0000${text.slice(-TAIL_CHARS)}`;
}
