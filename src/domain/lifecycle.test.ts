import { describe, expect, it } from 'vitest';
import { RoundsError } from './errors.js';
import { canTransition, isSignatureStatus, SIGNATURE_STATUSES, transition } from './lifecycle.js';

describe('signature lifecycle', () => {
  it('allows the documented path new -> investigating -> diagnosed -> resolved -> regressed', () => {
    expect(transition('new', 'investigating')).toBe('investigating');
    expect(transition('investigating', 'diagnosed')).toBe('diagnosed');
    expect(transition('diagnosed', 'resolved')).toBe('resolved');
    expect(transition('resolved', 'regressed')).toBe('regressed');
  });

  it('throws a coded error on an illegal move, never a silent no-op', () => {
    expect(() => transition('new', 'diagnosed')).toThrow(RoundsError);
    try {
      transition('resolved', 'diagnosed');
    } catch (error) {
      expect((error as RoundsError).code).toBe('ROUNDS_ILLEGAL_TRANSITION');
      expect((error as RoundsError).message).toContain('"resolved" to "diagnosed"');
    }
  });

  it('never allows a state to move to itself', () => {
    for (const status of SIGNATURE_STATUSES) expect(canTransition(status, status)).toBe(false);
  });

  it('recognises status names', () => {
    expect(isSignatureStatus('muted')).toBe(true);
    expect(isSignatureStatus('closed')).toBe(false);
  });
});
