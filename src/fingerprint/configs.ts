/** @module Fingerprint configurations: dated, append-only. Every signature records the id of the config that made it. */
import { RoundsError } from '../domain/index.js';

export interface FingerprintConfig {
  /** Stored with every signature; a change of algorithm is a new id, never an edit of an existing one. */
  readonly id: string;
  readonly description: string;
}

/**
 * fp:2026-11-29 — type + message template + normalised in-app frames (module + function) of every exception in
 * the chain, consecutive repeats (recursion) collapsed; fallback: all frames, then type + template; error spans
 * without an exception group by their semantic-convention facts; the service is part of the key unless disabled.
 */
export const FP_2026_11_29: FingerprintConfig = {
  id: 'fp:2026-11-29',
  description: 'exception chain (type, template, in-app frames), semconv facts for exception-less spans',
};

export const CURRENT_CONFIG = FP_2026_11_29;

const REGISTRY = new Map<string, FingerprintConfig>([[FP_2026_11_29.id, FP_2026_11_29]]);

export function lookupConfig(id: string): FingerprintConfig {
  const config = REGISTRY.get(id);
  if (config === undefined) {
    throw new RoundsError('ROUNDS_UNKNOWN_FINGERPRINT_CONFIG', `unknown fingerprint config "${id}"`);
  }
  return config;
}
