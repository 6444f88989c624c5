/**
 * @module The outbox dispatcher: delivers queued reports to every channel the policy picks, records each channel's
 * delivery so it is never repeated, and defers what failed, so one failing channel neither loses a report nor
 * holds up the others.
 */
import type { Logger } from '../observability/logger.js';
import type { Notifier, PendingNotification, SignatureStore } from '../ports/index.js';
import { channelTakes, decideReport, deliveryKey, type NotificationPolicy } from './notification-policy.js';

export interface OutboxDispatcherOptions {
  readonly store: SignatureStore;
  readonly channels: readonly Notifier[];
  readonly policy: NotificationPolicy;
  readonly logger: Logger;
  /** How long a claimed report is ours before another dispatcher may take it (a crash mid-delivery). */
  readonly leaseMs?: number;
  readonly batchSize?: number;
  /** First retry delay; doubles per failed attempt, capped at `retryMaxMs`. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly samplesPerReport?: number;
  readonly now?: () => number;
}

export interface DispatchSummary {
  readonly delivered: number;
  readonly skipped: number;
  readonly deferred: number;
}

export class OutboxDispatcher {
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly options: OutboxDispatcherOptions) {
    this.logger = options.logger.child({ component: 'outbox' });
    this.now = options.now ?? Date.now;
  }

  /** Delivers what is due now; resolves when every claimed report is delivered, skipped or deferred. */
  async runOnce(): Promise<DispatchSummary> {
    const { store, leaseMs = 120_000, batchSize = 20 } = this.options;
    const due = await store.claimNotifications(this.now(), leaseMs, batchSize);
    const summary = { delivered: 0, skipped: 0, deferred: 0 };
    for (const item of due) summary[await this.deliver(item)]++;
    return summary;
  }

  private async deliver(item: PendingNotification): Promise<keyof DispatchSummary> {
    const { store } = this.options;
    const signature = await store.getSignature(item.signatureId);
    const decision = signature
      ? decideReport(item.kind, signature, this.options.policy)
      : { report: false, why: 'the signature no longer exists' };
    if (!signature || !decision.report) {
      this.logger.info({ signatureId: item.signatureId, kind: item.kind, why: decision.why }, 'report not sent');
      await store.finishNotification(item.id);
      return 'skipped';
    }
    const recordKey = deliveryKey(item.kind, item.key);
    const done = new Set(
      (await store.listNotifications(item.signatureId)).filter((r) => r.key === recordKey).map((r) => r.channel),
    );
    const pending = this.options.channels.filter((c) => channelTakes(c.name, item.kind) && !done.has(c.name));
    if (pending.length === 0) {
      await store.finishNotification(item.id);
      return 'skipped';
    }
    const samples = await store.listSamples(item.signatureId, this.options.samplesPerReport ?? 5);
    const failures: string[] = [];
    for (const channel of pending) {
      try {
        await channel.notify({ kind: item.kind, signature, samples });
        await store.recordNotification({
          signatureId: item.signatureId,
          channel: channel.name,
          key: recordKey,
          at: this.now(),
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        failures.push(`${channel.name}: ${reason}`);
        this.logger.error(
          { err: error, signatureId: item.signatureId, kind: item.kind, channel: channel.name },
          'a notifier failed; the report stays queued for it',
        );
      }
    }
    if (failures.length === 0) {
      await store.finishNotification(item.id);
      return 'delivered';
    }
    const { retryBaseMs = 30_000, retryMaxMs = 3_600_000 } = this.options;
    const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** item.attempts);
    await store.deferNotification(item.id, { nextAttemptAt: this.now() + delay, error: failures.join('; ') });
    return 'deferred';
  }
}
