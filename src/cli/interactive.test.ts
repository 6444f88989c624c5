import { describe, expect, it } from 'vitest';
import { splitCommandLine } from './interactive.js';

describe('splitCommandLine', () => {
  it('splits on whitespace and honours quotes and backslashes', () => {
    expect(splitCommandLine('  mute sig_1  --reason "known flake in CI"  --for 7d ')).toEqual([
      'mute',
      'sig_1',
      '--reason',
      'known flake in CI',
      '--for',
      '7d',
    ]);
    expect(splitCommandLine(`tag sig_1 --add 'team:a b' --add x\\ y --add ""`)).toEqual([
      'tag',
      'sig_1',
      '--add',
      'team:a b',
      '--add',
      'x y',
      '--add',
      '',
    ]);
    expect(splitCommandLine('say "a \\"quoted\\" word"')).toEqual(['say', 'a "quoted" word']);
  });

  it('refuses an unclosed quote', () => {
    expect(() => splitCommandLine('mute sig_1 --reason "oops')).toThrow(/unclosed " quote/);
  });
});
