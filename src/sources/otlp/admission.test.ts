import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';

describe('Admission', () => {
  it('refuses the request past the request bound and admits again once one is released', () => {
    const admission = new Admission({ maxRequests: 2, maxBytes: 1000 });
    const a = admission.tryAcquire(10);
    const b = admission.tryAcquire(10);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(admission.tryAcquire(10)).toBeUndefined();
    a?.release();
    expect(admission.inflightRequests).toBe(1);
    expect(admission.tryAcquire(10)).toBeDefined();
  });

  it('refuses bytes past the byte bound while others hold bytes, and releases them all', () => {
    const admission = new Admission({ maxRequests: 10, maxBytes: 100 });
    const a = admission.tryAcquire(60);
    expect(admission.tryAcquire(50)).toBeUndefined();
    const b = admission.tryAcquire(0);
    expect(b?.grow(40)).toBe(true);
    expect(b?.grow(1)).toBe(false);
    expect(admission.inflightBytes).toBe(100);
    b?.release();
    a?.release();
    expect(admission.inflightBytes).toBe(0);
    expect(admission.inflightRequests).toBe(0);
  });

  it('lets a request alone in flight grow past the byte bound, so big requests are slow, not refused forever', () => {
    const admission = new Admission({ maxRequests: 10, maxBytes: 100 });
    const alone = admission.tryAcquire(500);
    expect(alone).toBeDefined();
    expect(alone?.grow(500)).toBe(true);
    expect(admission.tryAcquire(1)).toBeUndefined();
    alone?.release();
    expect(admission.tryAcquire(1)).toBeDefined();
  });

  it('release is idempotent and a released ticket cannot grow', () => {
    const admission = new Admission({ maxRequests: 1, maxBytes: 100 });
    const a = admission.tryAcquire(30);
    a?.release();
    a?.release();
    expect(admission.inflightRequests).toBe(0);
    expect(admission.inflightBytes).toBe(0);
    expect(a?.grow(1)).toBe(false);
    expect(admission.inflightBytes).toBe(0);
  });
});
