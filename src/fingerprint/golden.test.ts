import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CURRENT_CONFIG, Fingerprinter, type FingerprintInput } from './index.js';

/**
 * Hashes pinned when fp:2026-11-29 was released. They must never change under this config id: a change that
 * moves any of them regroups users' signatures, and has to ship as a new configuration instead.
 */
const golden = readFileSync(new URL('./testdata/golden-fp-2026-11-29.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { input: FingerprintInput; hash: string });

describe(`golden fingerprints of ${CURRENT_CONFIG.id}`, () => {
  const fingerprinter = new Fingerprinter({ includeService: true, inApp: { include: [], exclude: [] } });

  it('covers every runtime and the exception-less strategies', () => {
    expect(golden.length).toBeGreaterThanOrEqual(30);
    expect(CURRENT_CONFIG.id).toBe('fp:2026-11-29');
  });

  it.each(golden.map((entry, i) => [i, entry] as const))('input %i keeps its pinned hash', (_i, entry) => {
    expect(fingerprinter.fingerprint(entry.input).hash).toBe(entry.hash);
  });
});
