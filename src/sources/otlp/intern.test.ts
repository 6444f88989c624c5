import { describe, expect, it } from 'vitest';
import { StringInterner } from './intern.js';

const trace = (site: number) =>
  `TypeError: boom\n    at find${site} (/app/dist/orders/repository.js:${40 + site}:23)\n${'    at frame (/app/x.js:1:1)\n'.repeat(40)}`;

describe('StringInterner', () => {
  it('hands out the held string for identical bytes, wherever they sit', () => {
    const interner = new StringInterner(16, 10, 1_000_000);
    const bytes = Buffer.from(trace(1));
    const elsewhere = Buffer.concat([Buffer.from('prefix'), bytes, Buffer.from('suffix')]);
    const first = interner.decode(bytes, 0, bytes.length);
    const second = interner.decode(elsewhere, 6, 6 + bytes.length);
    expect(second).toBe(first);
    expect(first).toBe(trace(1));
    expect(interner.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1, bytes: bytes.length });
  });

  it('never shares a string between texts that differ, even past the hashed bytes', () => {
    const interner = new StringInterner(16, 10, 1_000_000);
    const a = trace(1);
    // Same length, same first 256 and last 64 bytes: only the full comparison tells them apart.
    const b = `${a.slice(0, 600)}Y${a.slice(601)}`;
    expect(b.length).toBe(a.length);
    expect(interner.decode(Buffer.from(a), 0, a.length)).toBe(a);
    expect(interner.decode(Buffer.from(b), 0, b.length)).toBe(b);
    expect(interner.decode(Buffer.from(a), 0, a.length)).toBe(a);
    // Sites that differ early get slots of their own.
    for (let site = 0; site < 5; site++) interner.decode(Buffer.from(trace(site)), 0, trace(site).length);
    for (let site = 0; site < 5; site++) interner.decode(Buffer.from(trace(site)), 0, trace(site).length);
    expect(interner.stats().hits).toBeGreaterThanOrEqual(5);
  });

  it('decodes like Buffer#toString, invalid UTF-8 included, and leaves short texts alone', () => {
    const interner = new StringInterner(16, 10, 1_000_000);
    const bytes = Buffer.concat([Buffer.from(trace(2)), Buffer.from([0xff, 0xc3]), Buffer.from('é end')]);
    expect(interner.decode(bytes, 0, bytes.length)).toBe(bytes.toString('utf8'));
    expect(interner.decode(bytes, 0, bytes.length)).toBe(bytes.toString('utf8'));
    expect(interner.decode(Buffer.from('short'), 0, 5)).toBe('short');
    expect(interner.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1 });
  });

  it('stays within its entry and byte bounds, keeping texts in use longer', () => {
    const interner = new StringInterner(16, 3, 1_000_000);
    const texts = [0, 1, 2, 3, 4].map(trace);
    for (const text of texts.slice(0, 3)) interner.decode(Buffer.from(text), 0, text.length);
    interner.decode(Buffer.from(texts[0]!), 0, texts[0]!.length); // in use: gets a second chance
    interner.decode(Buffer.from(texts[3]!), 0, texts[3]!.length); // evicts texts[1]
    expect(interner.stats().entries).toBe(3);
    const hits = interner.stats().hits;
    interner.decode(Buffer.from(texts[0]!), 0, texts[0]!.length);
    expect(interner.stats().hits).toBe(hits + 1);
    interner.decode(Buffer.from(texts[1]!), 0, texts[1]!.length);
    expect(interner.stats().hits).toBe(hits + 1);

    const small = new StringInterner(16, 100, 2 * texts[0]!.length);
    for (const text of texts) small.decode(Buffer.from(text), 0, text.length);
    expect(small.stats().bytes).toBeLessThanOrEqual(2 * texts[0]!.length);
    expect(small.stats().entries).toBeLessThanOrEqual(2);
  });
});
