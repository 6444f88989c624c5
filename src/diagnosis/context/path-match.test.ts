import { describe, expect, it } from 'vitest';
import { framePathOf } from './frame-path.js';
import { matchFramePath } from './path-match.js';

const match = (file: string, candidates: string[], module?: string) => {
  const result = framePathOf({ file, ...(module ? { module } : {}) });
  if (!result.ok) throw new Error(result.detail);
  return matchFramePath(result.path, candidates);
};

describe('matchFramePath', () => {
  it('picks the candidate with the longest common path suffix', () => {
    expect(match('/app/orders/service.py', ['shipping/service.py', 'python/orders/service.py'])).toEqual({
      kind: 'match',
      relativePath: 'python/orders/service.py',
      matchedSegments: 2,
    });
  });

  it('on a tie, prefers the candidate laid out exactly as deployed', () => {
    expect(match('/app/src/x.py', ['tests/src/x.py', 'src/x.py'])).toMatchObject({
      kind: 'match',
      relativePath: 'src/x.py',
    });
  });

  it('reports two files with the same best suffix as ambiguous, never guessing', () => {
    expect(match('/app/config.py', ['orders/config.py', 'shipping/config.py'])).toEqual({
      kind: 'ambiguous',
      candidates: ['orders/config.py', 'shipping/config.py'],
      matchedSegments: 1,
    });
    expect(match('/srv/x/src/util.js', ['a/src/util.js', 'b/src/util.js'])).toMatchObject({ kind: 'ambiguous' });
  });

  it('calls a file-name-only match weak when the frame names directories that do not match', () => {
    expect(match('/app/orders/utils.py', ['lib/utils.py'])).toEqual({ kind: 'weak', candidates: ['lib/utils.py'] });
    expect(match('Foo.java', ['src/main/java/com/other/Foo.java'], 'com.acme.Foo')).toMatchObject({ kind: 'weak' });
  });

  it('accepts a bare file name when it is unique', () => {
    expect(match('/app/main.py', ['main.py'])).toMatchObject({ kind: 'match', relativePath: 'main.py' });
  });

  it('matches a JVM frame through its package', () => {
    expect(
      match(
        'StockLevels.java',
        ['inventory/src/main/java/com/acme/inventory/StockLevels.java'],
        'com.acme.inventory.StockLevels',
      ),
    ).toMatchObject({ kind: 'match', matchedSegments: 4 });
  });

  it('finds nothing without candidates', () => {
    expect(match('/app/x.py', [])).toEqual({ kind: 'none' });
  });
});
