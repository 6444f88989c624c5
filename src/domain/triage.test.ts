import { describe, expect, it } from 'vitest';
import type { Signature } from './signature.js';
import { priorityComponents, type TriageFacts, type TriagePolicy, triage } from './triage.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const POLICY: TriagePolicy = { minOccurrences: 3, cooldownMs: 24 * HOUR, maxAttempts: 3 };
const QUIET: TriageFacts = { lastHourCount: 1, baselinePerHour: 1, attempts: 0 };

function signature(overrides: Partial<Signature> = {}): Signature {
  return {
    id: 'sig_0123456789abcdef',
    fingerprint: 'f'.repeat(64),
    configId: 'fp:2026-11-29',
    strategy: 'exception-in-app',
    errorType: 'KeyError',
    service: 'checkout',
    services: ['checkout'],
    messageTemplate: "'<str>'",
    language: 'python',
    frames: [],
    firstSeen: NOW - 2 * HOUR,
    lastSeen: NOW - 60_000,
    occurrenceCount: 10,
    status: 'new',
    tags: [],
    versions: ['1.0.0'],
    environments: ['prod'],
    ...overrides,
  };
}

function diagnosed(at: number): Partial<Signature> {
  return {
    status: 'diagnosed',
    diagnosis: {
      rootCause: 'x',
      evidence: [],
      suggestedFix: 'y',
      confidence: 'low',
      model: 'offline',
      engine: 'offline',
      costUsd: 0,
      diagnosedAt: at,
    },
  };
}

describe('triage', () => {
  it('queues a new signature once it has enough occurrences', () => {
    expect(triage(signature({ occurrenceCount: 2 }), QUIET, POLICY, NOW)).toMatchObject({
      queued: false,
      reason: 'below_min_occurrences',
      explanation: '2 of the 3 occurrences needed before a diagnosis',
    });
    const queued = triage(signature({ occurrenceCount: 3 }), QUIET, POLICY, NOW);
    expect(queued).toMatchObject({ queued: true, reason: 'new' });
    expect(queued.priority).toBeGreaterThan(0);
  });

  it('never queues muted, resolved or in-progress signatures', () => {
    for (const status of ['muted', 'resolved', 'investigating'] as const) {
      expect(triage(signature({ status }), QUIET, POLICY, NOW)).toMatchObject({ queued: false, reason: status });
    }
  });

  it('holds a recent diagnosis for the cooldown, then needs a new occurrence', () => {
    const recent = signature(diagnosed(NOW - HOUR));
    expect(triage(recent, { ...QUIET, lastDiagnosisAt: NOW - HOUR }, POLICY, NOW).reason).toBe('cooldown');
    const old = NOW - 25 * HOUR;
    expect(triage(signature(diagnosed(old)), { ...QUIET, lastDiagnosisAt: old }, POLICY, NOW)).toMatchObject({
      queued: true,
      reason: 'cooldown_passed',
    });
    const silent = signature({ ...diagnosed(old), lastSeen: old - 1 });
    expect(triage(silent, { ...QUIET, lastDiagnosisAt: old }, POLICY, NOW).reason).toBe('no_new_occurrences');
  });

  it('queues a regression whatever the count and the cooldown', () => {
    const regressed = signature({ ...diagnosed(NOW - HOUR), status: 'regressed', occurrenceCount: 1 });
    expect(triage(regressed, { ...QUIET, lastDiagnosisAt: NOW - HOUR }, POLICY, NOW)).toMatchObject({
      queued: true,
      reason: 'regressed',
    });
  });

  it('gives up after the attempt limit until the cooldown has passed since the last failure', () => {
    const failing = { ...QUIET, attempts: 3, lastFailureAt: NOW - HOUR };
    expect(triage(signature(), failing, POLICY, NOW).reason).toBe('gave_up');
    expect(triage(signature(), { ...failing, lastFailureAt: NOW - 25 * HOUR }, POLICY, NOW).queued).toBe(true);
  });
});

describe('priority', () => {
  const base = (s: Partial<Signature>, f: Partial<TriageFacts> = {}) =>
    triage(signature(s), { ...QUIET, ...f }, POLICY, NOW).priority;

  it('rises with a surge against the baseline, regression, critical and spread; falls for flaky and age', () => {
    expect(base({}, { lastHourCount: 64, baselinePerHour: 3 })).toBeGreaterThan(base({}));
    expect(base({ status: 'regressed' })).toBeGreaterThan(base({ status: 'diagnosed' }));
    expect(base({ tags: ['critical'] })).toBeGreaterThan(base({}));
    expect(base({ tags: ['flaky'] })).toBeLessThan(base({}));
    expect(base({ services: ['a', 'b', 'c'] })).toBeGreaterThan(base({}));
    expect(base({ lastSeen: NOW - 48 * HOUR })).toBeLessThan(base({}));
  });

  it('bounds every part and never goes below zero', () => {
    const parts = priorityComponents(
      signature({ services: Array.from({ length: 50 }, String) }),
      {
        ...QUIET,
        lastHourCount: 1e9,
        baselinePerHour: 0,
      },
      NOW,
    );
    expect(parts.frequency).toBe(40);
    expect(parts.volume).toBe(15);
    expect(parts.spread).toBe(20);
    expect(base({ tags: ['flaky'], lastSeen: NOW - 500 * HOUR, occurrenceCount: 3 })).toBeGreaterThanOrEqual(0);
  });
});
