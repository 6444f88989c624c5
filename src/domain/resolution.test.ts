import { describe, expect, it } from 'vitest';
import { muteAfter, regresses } from './resolution.js';

describe('regresses', () => {
  it('needs an occurrence at or after the fixed version', () => {
    const resolution = { resolvedAt: 0, inVersion: '2.0.0' };
    expect(regresses(resolution, ['1.9.0', '1.9.1'], [])).toBe(false);
    expect(regresses(resolution, ['1.9.0', '2.0.0'], [])).toBe(true);
    expect(regresses(resolution, [], [])).toBe(false);
  });

  it('regresses on any occurrence when no version was given', () => {
    expect(regresses({ resolvedAt: 0 }, ['0.1.0'], [])).toBe(true);
    expect(regresses(undefined, [undefined], [])).toBe(true);
  });
});

describe('muteAfter', () => {
  it('counts down an occurrence allowance', () => {
    expect(muteAfter({ mutedAt: 0, remainingOccurrences: 5 }, 2, 10)).toEqual({
      expired: false,
      remainingOccurrences: 3,
    });
    expect(muteAfter({ mutedAt: 0, remainingOccurrences: 2 }, 7, 10)).toEqual({
      expired: true,
      remainingOccurrences: 0,
    });
  });

  it('ends at its time, and never on its own otherwise', () => {
    expect(muteAfter({ mutedAt: 0, until: 100 }, 1, 99)).toEqual({ expired: false });
    expect(muteAfter({ mutedAt: 0, until: 100 }, 1, 100)).toEqual({ expired: true });
    expect(muteAfter({ mutedAt: 0, reason: 'forever' }, 1000, Number.MAX_SAFE_INTEGER)).toEqual({ expired: false });
  });
});
