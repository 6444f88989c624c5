/**
 * @module A cache keyed by long texts (stack traces), bounded by entries and by text size, evicting about the least
 * recently used (second chance, as in CLOCK).
 */

interface Entry<V> {
  readonly text: string;
  readonly value: V;
  /** Looked up since it was inserted or last given a second chance. */
  used: boolean;
}

/** Characters taken from each end and from the middle of a text to build its lookup key. */
const HEAD_CHARS = 64;
const MIDDLE_CHARS = 64;
const TAIL_CHARS = 160;
/** What stands in for the cut-out part of a text (see {@link TextCache.getCut}). */
const CUT_MARK = '\u0000';
const CUT_MARK_CODE = 0;

/**
 * Looking a 3 KB trace up by the trace itself makes V8 hash all of it on every event (each event brings its
 * own string). The lookup key here is the length plus both ends and the middle, where traces differ most (the
 * exception line and the innermost frames); the full text is then compared, so two texts that share a key are
 * never confused: the newer one simply replaces the older. Measured in bench/fingerprint.bench.ts.
 *
 * A text with a part cut out ({@link getCut}) is looked up without being built: the fingerprinter looks each
 * event's trace up with its message cut out, and building that text (a copy of the whole trace per event, which
 * lived until the event was stored) was a large share of what the OTLP receiver allocated and promoted to V8's
 * old generation per error event under load. The key is built from slices (some 300 characters) and the text
 * is compared slice by slice.
 */
export class TextCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private textChars = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxTextChars: number,
  ) {}

  get(text: string): V | undefined {
    return this.getCut(text, text.length, 0);
  }

  set(text: string, value: V): void {
    if (text.length > this.maxTextChars) return;
    const key = keyOf(text, text.length, 0);
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.textChars -= previous.text.length;
    }
    this.entries.set(key, { text, value, used: false });
    this.textChars += text.length;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.textChars <= this.maxTextChars) break;
      this.entries.delete(oldestKey);
      if (oldest.used) {
        // Used since its last chance: it goes to the back instead (Map keeps insertion order).
        oldest.used = false;
        this.entries.set(oldestKey, oldest);
      } else {
        this.textChars -= oldest.text.length;
      }
    }
  }

  /**
   * The value cached for `text` with `cutLength` characters at `cutAt` replaced by one U+0000, that is for
   * `cutText(text, cutAt, cutLength)`, without building that text. `cutLength` 0 means no cut: plain `get`.
   */
  getCut(text: string, cutAt: number, cutLength: number): V | undefined {
    const key = keyOf(text, cutAt, cutLength);
    const entry = this.entries.get(key);
    if (entry === undefined || !sameText(entry.text, text, cutAt, cutLength)) return undefined;
    // Marked, not moved: re-inserting on every hit churned the Map's table and kept each hit's key string alive.
    entry.used = true;
    return entry.value;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Characters of all cached texts. */
  get chars(): number {
    return this.textChars;
  }
}

/** `text` with `cutLength` characters at `cutAt` replaced by one U+0000; `text` itself when `cutLength` is 0. */
export function cutText(text: string, cutAt: number, cutLength: number): string {
  if (cutLength === 0) return text;
  return `${text.slice(0, cutAt)}${CUT_MARK}${text.slice(cutAt + cutLength)}`;
}

/** Whether `stored` equals `cutText(text, cutAt, cutLength)`; slices of flat strings compare without copying. */
function sameText(stored: string, text: string, cutAt: number, cutLength: number): boolean {
  if (cutLength === 0) return stored === text;
  return (
    stored.length === text.length - cutLength + 1 &&
    stored.charCodeAt(cutAt) === CUT_MARK_CODE &&
    stored.slice(0, cutAt) === text.slice(0, cutAt) &&
    stored.slice(cutAt + 1) === text.slice(cutAt + cutLength)
  );
}

/**
 * The lookup key of the cut text: the text itself when short, else its length, its first HEAD_CHARS, the
 * MIDDLE_CHARS around its middle and its last TAIL_CHARS, read from `text` without building the cut text.
 */
function keyOf(text: string, cutAt: number, cutLength: number): string {
  const length = cutLength === 0 ? text.length : text.length - cutLength + 1;
  if (length <= HEAD_CHARS + MIDDLE_CHARS + TAIL_CHARS) return cutText(text, cutAt, cutLength);
  const middle = (length - MIDDLE_CHARS) >> 1;
  const head = cutSlice(text, cutAt, cutLength, 0, HEAD_CHARS);
  const center = cutSlice(text, cutAt, cutLength, middle, middle + MIDDLE_CHARS);
  const tail = cutSlice(text, cutAt, cutLength, length - TAIL_CHARS, length);
  return `${length}\u0000${head}\u0000${center}\u0000${tail}`;
}

/** `cutText(text, cutAt, cutLength).slice(from, to)`, built from slices of `text`. */
function cutSlice(text: string, cutAt: number, cutLength: number, from: number, to: number): string {
  if (cutLength === 0 || to <= cutAt) return text.slice(from, to);
  const shift = cutLength - 1;
  if (from > cutAt) return text.slice(from + shift, to + shift);
  return `${text.slice(from, cutAt)}${CUT_MARK}${text.slice(cutAt + cutLength, to + shift)}`;
}
