/** @module Traces as Rounds keeps them: a flat list of spans, enough to draw the tree around an error. */

export interface TraceSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixMs: number;
  endTimeUnixMs: number;
  /** 0 unset, 1 ok, 2 error (OTLP Status.code). */
  statusCode: number;
  statusMessage?: string;
  attributes: Record<string, string | number | boolean>;
}

export interface TraceSnapshot {
  traceId: string;
  spans: TraceSpan[];
  /** Milliseconds since the epoch when the snapshot was taken; spans arriving later are not in it. */
  capturedAt: number;
}
