import { describe, expect, it } from 'vitest';
import { compareVersions, isAtOrAfter } from './versions.js';

describe('compareVersions', () => {
  it.each([
    ['1.4.2', '1.4.2', 0],
    ['1.4.10', '1.4.2', 1],
    ['v2.0.0', '1.99.99', 1],
    ['1.4', '1.4.0', 0],
    ['1.4.2-rc.1', '1.4.2', -1],
    ['1.4.2-rc.2', '1.4.2-rc.10', -1],
    ['1.4.2-alpha', '1.4.2-1', 1],
    ['1.4.2+build.9', '1.4.2+build.1', 0],
  ])('%s vs %s is %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(-expected || 0);
  });

  it('has no order for versions that are not SemVer-like', () => {
    expect(compareVersions('deadbee', '1.2.3')).toBeUndefined();
    expect(compareVersions('main-4f2a9c1', 'release-7')).toBeUndefined();
  });
});

describe('isAtOrAfter', () => {
  it('compares SemVer numerically', () => {
    expect(isAtOrAfter('1.4.1', '1.4.2', [])).toBe(false);
    expect(isAtOrAfter('1.5.0', '1.4.2', [])).toBe(true);
  });

  it('orders other versions by when they were first seen; an unseen one is a new deploy', () => {
    const seen = ['aaa111', 'bbb222', 'ccc333'];
    expect(isAtOrAfter('aaa111', 'bbb222', seen)).toBe(false);
    expect(isAtOrAfter('ccc333', 'bbb222', seen)).toBe(true);
    expect(isAtOrAfter('ddd444', 'bbb222', seen)).toBe(true);
    // The fix's build never ran while this signature was seen: every build seen so far is older.
    expect(isAtOrAfter('aaa111', 'fix999', seen)).toBe(false);
  });

  it('counts an occurrence without a version as at-or-after', () => {
    expect(isAtOrAfter(undefined, '1.4.2', [])).toBe(true);
  });
});
