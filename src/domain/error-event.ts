/** @module The ErrorEvent: one occurrence of an error, from any source. */

/** Where an event came from; stored with every sample so a diagnosis can fetch more context. */
export type EventSourceKind = 'otlp' | 'signoz' | 'jaeger' | 'tempo' | 'loki' | 'webhook' | 'cli';

/** Attribute values as OTLP allows them (arrays and maps flattened to JSON-able values). */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

/** Runtimes whose stack traces Rounds can parse. `unknown` degrades to message-only grouping. */
export type Language = 'python' | 'java' | 'node' | 'go' | 'dotnet' | 'ruby' | 'php' | 'unknown';

export interface StackFrame {
  /** Module, package, class or namespace the function belongs to, as the runtime names it. */
  module?: string;
  function?: string;
  /** File path as printed by the runtime (not normalised). */
  file?: string;
  line?: number;
  column?: number;
  /** True when the frame is the monitored application's own code, not stdlib or a dependency. */
  inApp: boolean;
}

export interface ErrorEvent {
  /**
   * Stable identity of one occurrence: trace id + span id + exception index, or the backend's own id.
   * The store counts each eventId once, so overlapping polls and push+poll never double count.
   */
  eventId: string;
  traceId?: string;
  spanId?: string;
  service: string;
  serviceVersion?: string;
  environment?: string;
  /** Span name or logical operation (route, RPC method) the error happened in. */
  operation?: string;
  errorType: string;
  message: string;
  /** Raw stack trace text as the runtime printed it. */
  stackTrace?: string;
  /** Language hint (from `telemetry.sdk.language` when the source knows it). */
  language?: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  attributes: Attributes;
  source: EventSourceKind;
}
