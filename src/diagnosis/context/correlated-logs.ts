/** @module Logs that belong with the samples: the same trace, or the same service around the same time. Pure. */
import type { Attributes } from '../../domain/index.js';
import { clipFlat } from './text.js';

/** A log record as a telemetry backend or the receiver gives it; defined here until the domain has one. */
export interface CorrelatedLog {
  readonly timestamp: number;
  readonly body: string;
  readonly severity?: string;
  readonly service?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly attributes?: Attributes;
}

export interface LogEvidence {
  readonly timestamp: number;
  readonly body: string;
  readonly severity?: string;
  readonly service?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  /** `trace`: same trace as a sample; `time-window`: same service within the window of a sample. */
  readonly correlation: 'trace' | 'time-window';
}

export interface LogSelectionOptions {
  /** +- this many milliseconds around a sample counts as "around the same time" (default 60 s). */
  readonly windowMs?: number;
  readonly maxLogs?: number;
  readonly maxBodyChars?: number;
}

interface SampleAnchor {
  readonly timestamp: number;
  readonly service: string;
  readonly traceId?: string;
}

export function selectCorrelatedLogs(
  logs: readonly CorrelatedLog[],
  samples: readonly SampleAnchor[],
  options: LogSelectionOptions = {},
): LogEvidence[] {
  const windowMs = options.windowMs ?? 60_000;
  const traceIds = new Set(samples.map((s) => s.traceId).filter((id): id is string => Boolean(id)));
  const picked: LogEvidence[] = [];
  for (const log of logs) {
    let correlation: LogEvidence['correlation'] | undefined;
    if (log.traceId && traceIds.has(log.traceId)) correlation = 'trace';
    else if (
      samples.some(
        (s) =>
          (log.service === undefined || log.service === s.service) && Math.abs(log.timestamp - s.timestamp) <= windowMs,
      )
    ) {
      correlation = 'time-window';
    }
    if (correlation === undefined) continue;
    picked.push({
      timestamp: log.timestamp,
      body: clipFlat(log.body, options.maxBodyChars ?? 500),
      ...(log.severity ? { severity: log.severity } : {}),
      ...(log.service ? { service: log.service } : {}),
      ...(log.traceId ? { traceId: log.traceId } : {}),
      ...(log.spanId ? { spanId: log.spanId } : {}),
      correlation,
    });
  }
  // Same-trace logs first: they are about this very request; then time order.
  picked.sort(
    (a, b) => (a.correlation === 'trace' ? 0 : 1) - (b.correlation === 'trace' ? 0 : 1) || a.timestamp - b.timestamp,
  );
  return picked.slice(0, options.maxLogs ?? 20);
}
