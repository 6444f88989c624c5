/** @module One triage pass: ends expired mutes, then decides for each recently active signature whether it is queued. */
import { type Signature, type TriagePolicy, triage } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { SignatureStore } from '../ports/index.js';

export interface TriagePassOptions {
  readonly store: SignatureStore;
  readonly policy: TriagePolicy;
  readonly logger: Logger;
  /**
   * When set, a recurring signature that has been reported gets an `update` report at most once per interval
   * (a GitHub issue's occurrence count and last seen). Unset when no channel takes updates.
   */
  readonly refreshIntervalMs?: number;
  /** Signatures examined per pass at most, most recently seen first. */
  readonly batchSize?: number;
  readonly now?: () => number;
}

export interface TriageSummary {
  readonly examined: number;
  readonly queued: number;
  readonly unmuted: number;
  readonly updates: number;
}

/** Overlap between passes, so an occurrence counted while the previous pass ran is never missed. */
const OVERLAP_MS = 60_000;
const DAY_MS = 24 * 3_600_000;

export class TriagePass {
  private readonly now: () => number;
  private lastRunAt: number | undefined;

  constructor(private readonly options: TriagePassOptions) {
    this.now = options.now ?? Date.now;
  }

  async run(): Promise<TriageSummary> {
    const { store, policy, logger, batchSize = 1000 } = this.options;
    const now = this.now();
    const unmuted = await store.expireMutes(now);
    for (const id of unmuted) logger.info({ signatureId: id }, 'mute expired');
    // The first pass after a start looks back far enough to catch cooldowns that ended while Rounds was down.
    const since =
      this.lastRunAt === undefined ? now - Math.max(policy.cooldownMs, DAY_MS) : this.lastRunAt - OVERLAP_MS;
    const candidates = await store.listTriageCandidates(since, now, batchSize);
    let queued = 0;
    let updates = 0;
    for (const { signature, facts } of candidates) {
      if (await this.queueUpdate(signature, since, now)) updates++;
      const decision = triage(signature, facts, policy, now);
      // Decided on what was read above; if another instance changed the signature since, the decision is void.
      const basis = {
        status: signature.status,
        ...(signature.diagnosis ? { lastDiagnosisAt: signature.diagnosis.diagnosedAt } : {}),
      };
      if (!(await store.recordTriage(signature.id, decision, basis))) continue;
      if (decision.queued) queued++;
      if (decision.queued !== (signature.triage?.queued ?? false) || decision.reason !== signature.triage?.reason) {
        logger.debug({ signatureId: signature.id, decision: decision.explanation }, 'triage decision changed');
      }
    }
    this.lastRunAt = now;
    return { examined: candidates.length, queued, unmuted: unmuted.length, updates };
  }

  private async queueUpdate(signature: Signature, since: number, now: number): Promise<boolean> {
    const interval = this.options.refreshIntervalMs;
    if (interval === undefined || signature.lastSeen < since) return false;
    if (signature.status === 'muted' || signature.status === 'resolved') return false;
    if (signature.diagnosis === undefined && signature.status !== 'regressed') return false;
    const key = String(Math.floor(now / interval));
    return this.options.store.enqueueNotification({ signatureId: signature.id, kind: 'update', key, at: now });
  }
}
