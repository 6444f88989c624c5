/** @module Sends each report to every configured notifier; one failing channel never blocks the others. */
import type { Notification, Notifier } from '../ports/index.js';

export class FanOutNotifier implements Notifier {
  readonly name: string;

  constructor(private readonly notifiers: readonly Notifier[]) {
    this.name = notifiers.map((n) => n.name).join(',');
  }

  async notify(notification: Notification): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((n) => n.notify(notification)));
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected' ? [`${this.notifiers[i]?.name}: ${(result.reason as Error).message}`] : [],
    );
    if (failures.length > 0) throw new Error(`notifier failed: ${failures.join('; ')}`);
  }
}
