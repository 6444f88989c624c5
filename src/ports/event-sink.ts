/** @module EventSink: where sources deliver the error events they found. */
import type { ErrorEvent, TraceSnapshot } from '../domain/index.js';

export interface IngestSummary {
  /** Ids of signatures this batch created. */
  readonly new: string[];
  /** Ids of existing signatures this batch added occurrences to. */
  readonly updated: string[];
  /** Events already counted before (same eventId). */
  readonly duplicates: number;
  /** Trace ids of the events kept as samples; their traces are worth a snapshot. */
  readonly sampledTraceIds: string[];
  /** Events rejected as unusable, with why. Nothing else in the batch is lost because of them. */
  readonly failed: { readonly index: number; readonly reason: string }[];
}

export interface EventSink {
  /** Resolves only once the batch is durable in the store. */
  ingest(events: readonly ErrorEvent[]): Promise<IngestSummary>;
  /**
   * Stores the traces around events already ingested (see SignatureStore.saveTraceSnapshots); resolves with how
   * many were written. Optional: a sink without it makes sources skip trace capture, and sources that see spans
   * get this one method rather than the whole store.
   */
  saveTraceSnapshots?(snapshots: readonly TraceSnapshot[]): Promise<number>;
}

/** A driving adapter (OTLP receiver, backend poller) with a lifecycle. */
export interface EventSource {
  readonly name: string;
  start(sink: EventSink): Promise<void>;
  /** Safe before start() and safe to repeat. */
  stop(): Promise<void>;
}
