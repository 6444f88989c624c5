/**
 * @module OTLP to domain mapping: error spans and error log records to ErrorEvents, buffered spans to
 * TraceSpans. Both decoders (protobuf and JSON) first turn what they keep into the neutral shapes defined here,
 * so the two encodings of one request map to identical events.
 */
import { createHash } from 'node:crypto';
import type { Attributes, AttributeValue, ErrorEvent, TraceSpan } from '../../domain/index.js';

/** How deep arrays and key-value lists may nest in an attribute value before the rest is replaced. */
export const MAX_VALUE_DEPTH = 32;
/** What replaces a value nested deeper than {@link MAX_VALUE_DEPTH}. */
export const DEPTH_MARKER = '[nested too deep]';

/** A span as the decoders hand it over: ids lowercase hex ('' when absent), times as decimal nanosecond strings. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attributes;
  events: OtlpSpanEvent[];
  statusCode: number;
  statusMessage: string;
}

export interface OtlpSpanEvent {
  name: string;
  timeUnixNano: string;
  attributes: Attributes;
}

export interface OtlpScope {
  name: string;
  version: string;
}

export interface OtlpLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: AttributeValue | undefined;
  attributes: Attributes;
  traceId: string;
  spanId: string;
}

/** What every event from one Resource shares; built once per resource that has errors. */
export interface ResourceContext {
  service: string;
  serviceVersion?: string;
  environment?: string;
  language?: string;
  /** The resource attributes worth copying onto every event. */
  attributes: Attributes;
}

export const STATUS_CODE_ERROR = 2;
/** SeverityNumber ERROR; everything from here up (ERROR2-4, FATAL*) is an error. */
export const SEVERITY_NUMBER_ERROR = 17;
export const EXCEPTION_EVENT_NAME = 'exception';
export const UNKNOWN_SERVICE = 'unknown_service';

const RESOURCE_KEYS_COPIED = new Set([
  'service.namespace',
  'host.name',
  'k8s.pod.name',
  'k8s.namespace.name',
  'telemetry.sdk.language',
  'telemetry.sdk.version',
  'cloud.region',
]);
const RESOURCE_PREFIXES_COPIED = ['vcs.'];
const EXCEPTION_KEYS_LIFTED = new Set(['exception.type', 'exception.message', 'exception.stacktrace']);

/** gRPC status names by code (grpc/doc/statuscodes.md), for error types of failed RPC spans. */
const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** Sets `target[key]`, also for the key `__proto__`, which plain assignment would treat as the prototype. */
export function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function text(value: AttributeValue | undefined): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Nanoseconds (decimal string) to whole milliseconds; the string keeps full precision for ids. */
export function nanosToMs(nanos: string): number {
  return nanos.length <= 6 ? 0 : Number(nanos.slice(0, -6));
}

/** Nanoseconds (decimal string) to milliseconds with the sub-millisecond part, to order spans within a ms. */
export function nanosToFractionalMs(nanos: string): number {
  if (nanos.length <= 6) return Number(nanos) / 1e6;
  return Number(nanos.slice(0, -6)) + Number(nanos.slice(-6)) / 1e6;
}

function isZero(nanos: string): boolean {
  return nanos === '' || nanos === '0';
}

function shortHash(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 16);
}

export function resourceContext(attributes: Attributes): ResourceContext {
  const copied: Attributes = {};
  for (const key of Object.keys(attributes)) {
    if (RESOURCE_KEYS_COPIED.has(key) || RESOURCE_PREFIXES_COPIED.some((prefix) => key.startsWith(prefix))) {
      copied[key] = attributes[key]!;
    }
  }
  const service = text(attributes['service.name'])?.trim();
  const context: ResourceContext = { service: service || UNKNOWN_SERVICE, attributes: copied };
  const version = text(attributes['service.version']);
  if (version !== undefined) context.serviceVersion = version;
  const environment = text(attributes['deployment.environment.name']) ?? text(attributes['deployment.environment']);
  if (environment !== undefined) context.environment = environment;
  const language = text(attributes['telemetry.sdk.language']);
  if (language !== undefined) context.language = language;
  return context;
}

/** Copies `source`'s attributes into `target`, except the keys in `skip`. */
function copyAttributes(target: Attributes, source: Attributes, skip?: Set<string>): void {
  for (const key of Object.keys(source)) {
    if (skip?.has(key)) continue;
    // Plain assignment into an object built up from `{}`: V8 keeps such objects on shared hidden classes,
    // whereas growing a spread copy (`{ ...source }`) made a new hidden class per key, at ~1 µs a key.
    if (key === '__proto__') setAttribute(target, key, source[key]!);
    else target[key] = source[key]!;
  }
}

/** Resource attributes first, so the item's own attributes win on a clash; then the scope, if named. */
function eventAttributes(
  own: Attributes,
  resource: ResourceContext,
  scope: OtlpScope | undefined,
  skip?: Set<string>,
): Attributes {
  const attributes: Attributes = {};
  copyAttributes(attributes, resource.attributes);
  if (scope?.name) {
    attributes['otel.scope.name'] = scope.name;
    if (scope.version) attributes['otel.scope.version'] = scope.version;
  }
  copyAttributes(attributes, own, skip);
  return attributes;
}

/** An ErrorEvent with the fields every OTLP event has; optional fields are set only when known. */
function newEvent(
  eventId: string,
  resource: ResourceContext,
  errorType: string,
  message: string,
  timestamp: number,
  attributes: Attributes,
): ErrorEvent {
  const event: ErrorEvent = {
    eventId,
    service: resource.service,
    errorType,
    message,
    timestamp,
    attributes,
    source: 'otlp',
  };
  if (resource.serviceVersion !== undefined) event.serviceVersion = resource.serviceVersion;
  if (resource.environment !== undefined) event.environment = resource.environment;
  if (resource.language !== undefined) event.language = resource.language;
  return event;
}

/** Error type of a failed span that recorded no exception: the most specific thing its attributes say. */
function statusErrorType(attributes: Attributes): string {
  const errorType = text(attributes['error.type']);
  // `_OTHER` is semconv's "none of the known values"; an HTTP or gRPC code says more.
  if (errorType !== undefined && errorType !== '_OTHER') return errorType;
  const http = text(attributes['http.response.status_code']) ?? text(attributes['http.status_code']);
  if (http !== undefined) return `HTTP ${http}`;
  const grpc = attributes['rpc.grpc.status_code'];
  if (typeof grpc === 'number') return GRPC_STATUS_NAMES[grpc] ?? `gRPC ${grpc}`;
  return errorType ?? 'SpanError';
}

/**
 * The ErrorEvents of one span: one per `exception` event, or, for a span with status ERROR and no exception
 * event, one for the status. A span that is neither yields none.
 */
export function spanErrorEvents(span: OtlpSpan, resource: ResourceContext, scope?: OtlpScope): ErrorEvent[] {
  const events: ErrorEvent[] = [];
  const idPrefix =
    span.traceId && span.spanId
      ? `${span.traceId}:${span.spanId}`
      : // Without ids, identify the span by what it says, so that a resend still dedupes.
        `span:${shortHash(resource.service, span.name, span.startTimeUnixNano, span.endTimeUnixNano)}`;
  const endNanos = isZero(span.endTimeUnixNano) ? span.startTimeUnixNano : span.endTimeUnixNano;
  const push = (event: ErrorEvent) => {
    if (span.traceId) event.traceId = span.traceId;
    if (span.spanId) event.spanId = span.spanId;
    if (span.name) event.operation = span.name;
    events.push(event);
  };
  let exceptionIndex = 0;
  for (const spanEvent of span.events) {
    if (spanEvent.name !== EXCEPTION_EVENT_NAME) continue;
    const time = isZero(spanEvent.timeUnixNano) ? endNanos : spanEvent.timeUnixNano;
    const event = newEvent(
      `${idPrefix}:${exceptionIndex}`,
      resource,
      text(spanEvent.attributes['exception.type']) ?? text(span.attributes['error.type']) ?? 'Exception',
      text(spanEvent.attributes['exception.message']) ?? span.statusMessage,
      isZero(time) ? Date.now() : nanosToMs(time),
      eventAttributes(span.attributes, resource, scope),
    );
    const stackTrace = text(spanEvent.attributes['exception.stacktrace']);
    if (stackTrace !== undefined) event.stackTrace = stackTrace;
    push(event);
    exceptionIndex++;
  }
  if (exceptionIndex === 0 && span.statusCode === STATUS_CODE_ERROR) {
    push(
      newEvent(
        `${idPrefix}:status`,
        resource,
        statusErrorType(span.attributes),
        span.statusMessage,
        isZero(endNanos) ? Date.now() : nanosToMs(endNanos),
        eventAttributes(span.attributes, resource, scope),
      ),
    );
  }
  return events;
}

/** True for the attribute keys that make a log record an exception record, whatever its severity. */
export function isExceptionKey(key: string): boolean {
  return key.startsWith('exception.');
}

/** A log body as message text: strings as they are, anything structured as JSON. */
function bodyText(body: AttributeValue | undefined): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  return JSON.stringify(body);
}

/** The ErrorEvent of one log record, or undefined when the record is not an error. */
export function logErrorEvent(
  record: OtlpLogRecord,
  resource: ResourceContext,
  scope?: OtlpScope,
): ErrorEvent | undefined {
  const hasException = Object.keys(record.attributes).some(isExceptionKey);
  if (!hasException && record.severityNumber < SEVERITY_NUMBER_ERROR) return undefined;
  const errorType = text(record.attributes['exception.type']) ?? (record.severityText || 'LogError');
  const body = bodyText(record.body);
  const message = text(record.attributes['exception.message']) ?? body;
  const stackTrace = text(record.attributes['exception.stacktrace']);
  const nanos = isZero(record.timeUnixNano) ? record.observedTimeUnixNano : record.timeUnixNano;
  const hash = shortHash(resource.service, errorType, message, body, stackTrace ?? '');
  const idPrefix = record.traceId ? `${record.traceId}:${record.spanId}` : 'log';
  const event = newEvent(
    `${idPrefix}:${nanos || '0'}:${hash}`,
    resource,
    errorType,
    message,
    isZero(nanos) ? Date.now() : nanosToMs(nanos),
    eventAttributes(record.attributes, resource, scope, EXCEPTION_KEYS_LIFTED),
  );
  if (record.traceId) event.traceId = record.traceId;
  if (record.spanId) event.spanId = record.spanId;
  if (stackTrace !== undefined) event.stackTrace = stackTrace;
  return event;
}

/** A span for trace assembly: attributes cut down to scalars (structured values as JSON text). */
export function toTraceSpan(span: OtlpSpan, service: string): TraceSpan {
  const attributes: Record<string, string | number | boolean> = {};
  for (const key of Object.keys(span.attributes)) {
    const value = span.attributes[key];
    if (value === null || value === undefined) continue;
    const scalar = typeof value === 'object' ? JSON.stringify(value) : value;
    if (key === '__proto__') {
      Object.defineProperty(attributes, key, { value: scalar, enumerable: true, writable: true, configurable: true });
    } else {
      attributes[key] = scalar;
    }
  }
  const traceSpan: TraceSpan = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    service,
    kind: span.kind,
    startTimeUnixMs: nanosToFractionalMs(span.startTimeUnixNano),
    endTimeUnixMs: nanosToFractionalMs(span.endTimeUnixNano),
    statusCode: span.statusCode,
    attributes,
  };
  if (span.parentSpanId) traceSpan.parentSpanId = span.parentSpanId;
  if (span.statusMessage) traceSpan.statusMessage = span.statusMessage;
  return traceSpan;
}

/** The service a resource's spans belong to, for assembled traces. */
export function serviceName(attributes: Attributes): string {
  return text(attributes['service.name'])?.trim() || UNKNOWN_SERVICE;
}
