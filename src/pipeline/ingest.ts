/** @module The ingest pipeline: error events in, fingerprinted, counted in the store in one transaction, new signatures announced. */
import type { ErrorEvent, TraceSnapshot } from '../domain/index.js';
import type { Fingerprinter } from '../fingerprint/index.js';
import type { Logger } from '../observability/logger.js';
import type { EventSink, FingerprintedEvent, IngestSummary, Notifier, SignatureStore } from '../ports/index.js';
import { checkEvent } from './check-event.js';

export interface IngestDeps {
  store: SignatureStore;
  fingerprinter: Fingerprinter;
  notifier: Notifier;
  logger: Logger;
}

export class IngestPipeline implements EventSink {
  constructor(private readonly deps: IngestDeps) {}

  /**
   * Resolves once the batch is durable. Unusable events are reported in `failed` and the rest still count;
   * a store failure rejects the whole call, so the source can answer "retry" and nothing is half-counted.
   */
  async ingest(events: readonly ErrorEvent[]): Promise<IngestSummary> {
    const failed: { index: number; reason: string }[] = [];
    const fingerprinted: FingerprintedEvent[] = [];
    events.forEach((event, index) => {
      const problem = checkEvent(event);
      if (problem !== undefined) {
        failed.push({ index, reason: problem });
        return;
      }
      try {
        fingerprinted.push({ event, fingerprint: this.deps.fingerprinter.fingerprint(event) });
      } catch (error) {
        failed.push({ index, reason: `fingerprinting failed: ${(error as Error).message}` });
      }
    });
    if (failed.length > 0) this.deps.logger.warn({ failed: failed.slice(0, 10) }, `${failed.length} unusable events`);
    if (fingerprinted.length === 0) return { new: [], updated: [], duplicates: 0, sampledTraceIds: [], failed };

    const result = await this.deps.store.ingest(fingerprinted);
    for (const signature of result.created) {
      try {
        await this.deps.notifier.notify({ kind: 'new_signature', signature });
      } catch (error) {
        // The signature is already durable; a notifier outage must not turn into a retry of the whole batch.
        this.deps.logger.error({ err: error, signatureId: signature.id }, 'notification of a new signature failed');
      }
    }
    return {
      new: result.created.map((signature) => signature.id),
      updated: result.updated,
      duplicates: result.duplicates,
      sampledTraceIds: result.sampledTraceIds,
      failed,
    };
  }

  /** Straight to the store: snapshots need no fingerprinting, and the store drops those no sample refers to. */
  saveTraceSnapshots(snapshots: readonly TraceSnapshot[]): Promise<number> {
    return this.deps.store.saveTraceSnapshots(snapshots);
  }
}
