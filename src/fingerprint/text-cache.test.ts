import { describe, expect, it } from 'vitest';
import { cutText, TextCache } from './text-cache.js';

const long = (middle: string) => `${'head '.repeat(20)}${middle}${' tail'.repeat(60)}`;

describe('TextCache', () => {
  it('evicts the least recently used entry past the entry bound', () => {
    const cache = new TextCache<number>(2, 1_000_000);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('never confuses two long texts that share their ends and length', () => {
    const cache = new TextCache<string>(10, 1_000_000);
    const first = long('frame-one ');
    const second = long('frame-two ');
    expect(first.length).toBe(second.length);
    cache.set(first, 'one');
    expect(cache.get(second)).toBeUndefined();
    cache.set(second, 'two');
    expect(cache.get(second)).toBe('two');
    expect(cache.get(first)).toBeUndefined();
    expect(cache.get(`${first}`)).toBeUndefined();
  });

  it('bounds the total text size and skips texts larger than the bound', () => {
    const cache = new TextCache<number>(100, 10);
    cache.set('x'.repeat(11), 1);
    expect(cache.size).toBe(0);
    cache.set('aaaa', 1);
    cache.set('bbbb', 2);
    cache.set('cccc', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('aaaa')).toBeUndefined();
    cache.set('cccc', 4);
    expect(cache.get('cccc')).toBe(4);
    expect(cache.size).toBe(2);
  });

  it('looks a text up with a part cut out as if that part were one U+0000', () => {
    const cache = new TextCache<string>(10, 1_000_000);
    const trace = long('TypeError: first message\n    at frame ');
    const at = trace.indexOf('first message');
    cache.set(cutText(trace, at, 'first message'.length), 'cut');
    expect(cutText(trace, at, 13)).toBe(`${trace.slice(0, at)}\u0000${trace.slice(at + 13)}`);
    // The same trace with another message of another length at the same place hits the same entry.
    const other = trace.replace('first message', 'a different message');
    expect(cache.getCut(other, at, 'a different message'.length)).toBe('cut');
    expect(cache.get(cutText(other, at, 'a different message'.length))).toBe('cut');
    // Not cut, or cut elsewhere, it is another text.
    expect(cache.getCut(other, other.length, 0)).toBeUndefined();
    expect(cache.getCut(other, at + 1, 'a different message'.length - 1)).toBeUndefined();
    // Short texts are compared whole too.
    cache.set(cutText('ab-cd', 2, 1), 'short');
    expect(cache.getCut('abXYZcd', 2, 3)).toBe('short');
    expect(cache.getCut('abXYZce', 2, 3)).toBeUndefined();
  });
});
