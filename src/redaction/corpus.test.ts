import { describe, expect, it } from 'vitest';
import { BUILT_IN_RULE_NAMES, Redactor, redactionMarker } from './index.js';
import { NEAR_MISSES, POSITIVES } from './testdata/corpus.js';

const redactor = new Redactor();

describe('redaction corpus: positives', () => {
  it.each(POSITIVES.map((p) => [p.rule, p.input, p] as const))('%s: %s', (rule, input, positive) => {
    // A secret the input does not hold would make this test pass whatever the redactor does.
    expect(positive.secrets.length).toBeGreaterThan(0);
    for (const secret of positive.secrets) expect(input).toContain(secret);

    const { text, findings } = redactor.redact(input);

    for (const secret of positive.secrets) expect(text).not.toContain(secret);
    expect(text).toContain(redactionMarker(rule));
    expect(findings.find((f) => f.rule === rule)?.count ?? 0).toBeGreaterThan(0);
    if (positive.expected !== undefined) expect(text).toBe(positive.expected);
    // Findings say what was found, never what it was.
    for (const secret of positive.secrets) expect(JSON.stringify(findings)).not.toContain(secret);
  });

  it('has at least three positives for every built-in rule', () => {
    for (const rule of BUILT_IN_RULE_NAMES) {
      expect(POSITIVES.filter((p) => p.rule === rule).length, rule).toBeGreaterThanOrEqual(3);
    }
  });

  it('changes nothing when run on its own output', () => {
    for (const { input } of POSITIVES) {
      const once = redactor.redact(input).text;
      expect(redactor.redact(once)).toEqual({ text: once, findings: [] });
    }
  });
});

describe('redaction corpus: near-misses survive untouched', () => {
  it.each(NEAR_MISSES.map((n) => [n.why, n.input] as const))('%s: %s', (_why, input) => {
    expect(redactor.redact(input)).toEqual({ text: input, findings: [] });
  });
});

describe('redaction corpus: all at once', () => {
  it('removes every secret and keeps every near-miss when they share one text', () => {
    const positives = [...POSITIVES].sort((a, b) => Number(a.swallowsRest ?? false) - Number(b.swallowsRest ?? false));
    const parts = [...NEAR_MISSES.map((n) => n.input), ...positives.map((p) => p.input)];
    const { text, findings } = redactor.redact(parts.join('\n'));
    for (const { secrets } of POSITIVES) for (const secret of secrets) expect(text).not.toContain(secret);
    for (const { input } of NEAR_MISSES) expect(text).toContain(input);
    const total = findings.reduce((sum, f) => sum + f.count, 0);
    expect(total).toBeGreaterThanOrEqual(POSITIVES.length);
  });
});
