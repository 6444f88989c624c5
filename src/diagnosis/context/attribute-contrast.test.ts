import { describe, expect, it } from 'vitest';
import type { Attributes } from '../../domain/index.js';
import { contrastAttributes, describeContrast } from './attribute-contrast.js';

const repeat = (n: number, make: (i: number) => Attributes): Attributes[] =>
  Array.from({ length: n }, (_, i) => make(i));

describe('contrastAttributes', () => {
  const errors = repeat(5, (i) => ({
    'service.version': '1.4.2',
    'http.route': '/orders',
    'tenant.id': i < 4 ? 'acme' : 'globex',
    'feature.new_pricing': true,
    trace_id: `t${i}`,
    'request.id': `r${i}`,
    'user.id': `u${i}`,
    'exception.type': 'KeyError',
    payload: { nested: 1 },
  }));
  const baseline = repeat(20, (i) => ({
    'service.version': i < 2 ? '1.4.2' : '1.4.1',
    'http.route': '/orders',
    'tenant.id': ['acme', 'globex', 'initech', 'umbrella'][i % 4]!,
    'feature.new_pricing': i % 10 === 0,
    trace_id: `b${i}`,
    'user.id': `bu${i}`,
  }));

  it('ranks over-represented values by strength and ignores ids, the error itself and shared values', () => {
    const contrast = contrastAttributes(errors, baseline);
    expect(contrast.entries.map((e) => `${e.key}=${e.value}`)).toEqual([
      'feature.new_pricing=true',
      'service.version=1.4.2',
      'tenant.id=acme',
    ]);
    const version = contrast.entries[1]!;
    expect(version).toMatchObject({
      errorCount: 5,
      errorShare: 1,
      baselineCount: 2,
      baselineObserved: 20,
      baselineShare: 0.1,
    });
    expect(version.strength).toBeCloseTo(0.9);
    expect(describeContrast(version, contrast)).toBe('service.version=1.4.2: 5/5 errors (100%) vs 2/20 baseline (10%)');
    expect(contrast.errorTotal).toBe(5);
    expect(contrast.baselineTotal).toBe(20);
  });

  it('is deterministic whatever the input order', () => {
    const a = contrastAttributes(errors, baseline);
    const b = contrastAttributes([...errors].reverse(), [...baseline].reverse());
    expect(b).toEqual(a);
  });

  it('bounds the output and counts what it left out', () => {
    const contrast = contrastAttributes(errors, baseline, { maxEntries: 1 });
    expect(contrast.entries).toHaveLength(1);
    expect(contrast.omitted).toBe(2);
  });

  it('treats a key whose values are mostly distinct as an id even when its name does not say so', () => {
    const e = repeat(5, (i) => ({ 'order.number': `o-${i}`, region: 'eu' }));
    const b = repeat(10, (i) => ({ 'order.number': `p-${i}`, region: i < 2 ? 'eu' : 'us' }));
    expect(contrastAttributes(e, b).entries.map((x) => x.key)).toEqual(['region']);
  });

  it('does not contrast keys the baseline never reports', () => {
    const contrast = contrastAttributes(
      repeat(3, () => ({ 'service.name': 'orders' })),
      [{ 'http.route': '/x' }],
    );
    expect(contrast.entries).toEqual([]);
    expect(contrast.notes).toContain('1 attribute key(s) the baseline does not report were not contrasted');
  });

  it('says when there is nothing to contrast, and when one event is all there is', () => {
    expect(contrastAttributes([], baseline).notes).toEqual(['no error events to contrast']);
    expect(contrastAttributes(errors, []).notes[0]).toContain('no baseline');
    const single = contrastAttributes([{ 'service.version': '2' }], [{ 'service.version': '1' }]);
    expect(single.entries.map((e) => e.value)).toEqual(['2']);
    expect(single.notes[0]).toContain('only one error event');
  });

  it('caps how many attribute sets it reads', () => {
    const contrast = contrastAttributes(errors, baseline, { maxMaps: 3 });
    expect(contrast.errorTotal).toBe(3);
    expect(contrast.baselineTotal).toBe(3);
    expect(contrast.notes[0]).toContain('only the first 3 attribute sets');
  });
});
