/**
 * @module The notification policy: which reports go out, and to which channels. Pure, so the dispatcher, the
 * docs and the tests agree on one set of rules.
 */
import type { Confidence, Signature } from '../domain/index.js';
import type { NotificationKind } from '../ports/index.js';

export interface NotificationPolicy {
  /** Least confidence a diagnosis needs to be reported (signatures tagged `critical` skip this check). */
  readonly minConfidence: Confidence;
}

const CONFIDENCE_RANK: Readonly<Record<Confidence, number>> = { low: 0, medium: 1, high: 2 };

export interface ReportDecision {
  readonly report: boolean;
  readonly why: string;
}

export function decideReport(kind: NotificationKind, signature: Signature, policy: NotificationPolicy): ReportDecision {
  if (kind !== 'diagnosis') return { report: true, why: `${kind} reports always go out` };
  const diagnosis = signature.diagnosis;
  if (diagnosis === undefined) return { report: false, why: 'the signature has no diagnosis to report' };
  if (signature.tags.includes('critical')) return { report: true, why: 'tagged critical' };
  if (CONFIDENCE_RANK[diagnosis.confidence] >= CONFIDENCE_RANK[policy.minConfidence]) {
    return { report: true, why: `confidence ${diagnosis.confidence} meets ${policy.minConfidence}` };
  }
  return {
    report: false,
    why: `confidence ${diagnosis.confidence} is below NOTIFY_MIN_CONFIDENCE=${policy.minConfidence}`,
  };
}

/**
 * The terminal shows everything as it happens; files and issues get what a person should act on. A new
 * signature alone is not worth a file or an issue: it becomes one when it is diagnosed or regresses.
 */
const CHANNEL_KINDS: Readonly<Record<string, readonly NotificationKind[]>> = {
  stdout: ['new_signature', 'diagnosis', 'regression', 'resolved'],
  markdown: ['diagnosis', 'regression'],
  github_issue: ['diagnosis', 'regression', 'resolved', 'update'],
};

export function channelTakes(channel: string, kind: NotificationKind): boolean {
  return (CHANNEL_KINDS[channel] ?? ['diagnosis', 'regression']).includes(kind);
}

/** Kinds some channel takes; a report no channel takes is not worth queueing. */
export function anyChannelTakes(channels: readonly string[], kind: NotificationKind): boolean {
  return channels.some((channel) => channelTakes(channel, kind));
}

/** The default when NOTIFY_MIN_CONFIDENCE is unset: the offline engine only ever says `low`. */
export function defaultMinConfidence(engineName: string): Confidence {
  return engineName === 'offline' ? 'low' : 'medium';
}

/** The key under which a channel's delivery of one outbox report is recorded (and so never repeated). */
export function deliveryKey(kind: NotificationKind, key: string): string {
  return `report:${kind}:${key}`;
}
