/**
 * @module Triage: which signatures deserve a diagnosis now, and in what order. Pure; docs/triage.md explains the
 * formula with examples.
 */
import type { Signature } from './signature.js';

export interface TriagePolicy {
  /** Occurrences a signature needs before it is worth a diagnosis (a regression needs none). */
  readonly minOccurrences: number;
  /** A diagnosis younger than this is not redone (a regression overrides it). */
  readonly cooldownMs: number;
  /** Failed diagnoses after which the signature leaves the queue until the cooldown has passed. */
  readonly maxAttempts: number;
}

/** What the store knows beyond the signature row. */
export interface TriageFacts {
  /** Occurrences in the last 60 minutes. */
  readonly lastHourCount: number;
  /** Mean occurrences per hour over the baseline window before the last hour (0 when it is new). */
  readonly baselinePerHour: number;
  /** When the current diagnosis was made, if there is one. */
  readonly lastDiagnosisAt?: number;
  /** Failed diagnosis attempts since the last success. */
  readonly attempts: number;
  /** When the last failed attempt happened, if any. */
  readonly lastFailureAt?: number;
}

export type TriageReason =
  | 'regressed'
  | 'new'
  | 'cooldown_passed'
  | 'muted'
  | 'resolved'
  | 'investigating'
  | 'below_min_occurrences'
  | 'cooldown'
  | 'no_new_occurrences'
  | 'gave_up';

export interface TriageDecision {
  readonly queued: boolean;
  /** Higher runs first; 0 when not queued. */
  readonly priority: number;
  readonly reason: TriageReason;
  /** One human sentence: what `rounds show-signature` prints. */
  readonly explanation: string;
  /** The priority's parts, so the number can be explained. */
  readonly components: Readonly<Record<string, number>>;
  readonly decidedAt: number;
}

const HOUR_MS = 3_600_000;

/** Each part is bounded so that no single factor can drown the rest; see docs/triage.md. */
export function priorityComponents(signature: Signature, facts: TriageFacts, now: number): Record<string, number> {
  const ratio = (facts.lastHourCount + 1) / (facts.baselinePerHour + 1);
  const ageHours = Math.max(0, now - signature.lastSeen) / HOUR_MS;
  const components: Record<string, number> = {
    // A surge against the signature's own baseline: doubling is worth 10, capped at a 16-fold surge.
    frequency: round(10 * Math.min(4, Math.max(0, Math.log2(ratio)))),
    // Raw volume still matters a little: 5 per factor of ten in the last hour, capped.
    volume: round(Math.min(15, 5 * Math.log10(1 + facts.lastHourCount))),
    // Fresh errors first: 20 when seen just now, halving about every four hours.
    recency: round(20 * Math.exp(-ageHours / 6)),
    novelty: signature.diagnosis === undefined && signature.status === 'new' ? 15 : 0,
    regression: signature.status === 'regressed' ? 30 : 0,
    // How far it spreads: other services count more than other versions.
    spread: Math.min(
      20,
      5 * Math.max(0, signature.services.length - 1) + 2 * Math.max(0, signature.versions.length - 1),
    ),
    critical: signature.tags.includes('critical') ? 50 : 0,
    flaky: signature.tags.includes('flaky') ? -30 : 0,
  };
  return components;
}

export function triage(signature: Signature, facts: TriageFacts, policy: TriagePolicy, now: number): TriageDecision {
  const skip = (reason: TriageReason, explanation: string): TriageDecision => ({
    queued: false,
    priority: 0,
    reason,
    explanation,
    components: {},
    decidedAt: now,
  });
  switch (signature.status) {
    case 'muted':
      return skip('muted', 'muted: not investigated until the mute ends');
    case 'resolved':
      return skip('resolved', 'resolved: investigated again only if it regresses');
    case 'investigating':
      return skip('investigating', 'a diagnosis is in progress');
    default:
  }
  if (facts.attempts >= policy.maxAttempts) {
    const retryAt = (facts.lastFailureAt ?? now) + policy.cooldownMs;
    if (now < retryAt) {
      return skip(
        'gave_up',
        `${facts.attempts} diagnosis attempts failed; tried again after ${new Date(retryAt).toISOString()}`,
      );
    }
  }
  const regressed = signature.status === 'regressed';
  if (!regressed) {
    if (signature.occurrenceCount < policy.minOccurrences) {
      return skip(
        'below_min_occurrences',
        `${signature.occurrenceCount} of the ${policy.minOccurrences} occurrences needed before a diagnosis`,
      );
    }
    if (facts.lastDiagnosisAt !== undefined) {
      const eligibleAt = facts.lastDiagnosisAt + policy.cooldownMs;
      if (now < eligibleAt) {
        return skip(
          'cooldown',
          `diagnosed ${new Date(facts.lastDiagnosisAt).toISOString()}; not redone before ${new Date(eligibleAt).toISOString()}`,
        );
      }
      if (signature.lastSeen <= facts.lastDiagnosisAt) {
        return skip('no_new_occurrences', 'no occurrence since the last diagnosis');
      }
    }
  }
  const components = priorityComponents(signature, facts, now);
  const priority = Math.max(0, round(Object.values(components).reduce((sum, part) => sum + part, 0)));
  const reason: TriageReason = regressed
    ? 'regressed'
    : facts.lastDiagnosisAt === undefined
      ? 'new'
      : 'cooldown_passed';
  const why = {
    regressed: 'regressed after it was resolved',
    new: `${signature.occurrenceCount} occurrences and no diagnosis yet`,
    cooldown_passed: 'still occurring after the last diagnosis cooled down',
  }[reason as 'regressed' | 'new' | 'cooldown_passed'];
  return {
    queued: true,
    priority,
    reason,
    explanation: `queued at priority ${priority}: ${why}`,
    components,
    decidedAt: now,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
