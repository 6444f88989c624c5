/** @module Signature lifecycle: the states a signature moves through and the only legal moves. */
import { RoundsError } from './errors.js';

export const SIGNATURE_STATUSES = ['new', 'investigating', 'diagnosed', 'resolved', 'muted', 'regressed'] as const;
export type SignatureStatus = (typeof SIGNATURE_STATUSES)[number];

const LEGAL: Readonly<Record<SignatureStatus, readonly SignatureStatus[]>> = {
  new: ['investigating', 'resolved', 'muted'],
  investigating: ['diagnosed', 'new', 'regressed', 'resolved', 'muted'],
  diagnosed: ['investigating', 'resolved', 'muted', 'new'],
  resolved: ['regressed', 'muted', 'new'],
  muted: ['new', 'resolved'],
  regressed: ['investigating', 'resolved', 'muted'],
};

export function isSignatureStatus(value: string): value is SignatureStatus {
  return (SIGNATURE_STATUSES as readonly string[]).includes(value);
}

export function canTransition(from: SignatureStatus, to: SignatureStatus): boolean {
  return LEGAL[from].includes(to);
}

/** Returns `to` when the move is legal; throws ROUNDS_ILLEGAL_TRANSITION otherwise (never a silent no-op). */
export function transition(from: SignatureStatus, to: SignatureStatus): SignatureStatus {
  if (!canTransition(from, to)) {
    throw new RoundsError('ROUNDS_ILLEGAL_TRANSITION', `a signature cannot go from "${from}" to "${to}"`);
  }
  return to;
}
