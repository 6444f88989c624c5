/** @module One sample event as evidence: its exception chain with parsed frames and its telling attributes. */
import type { AttributeValue, ErrorEvent, StackFrame } from '../../domain/index.js';
import { parseStackTrace } from '../../fingerprint/index.js';
import { isIdentifierKey, looksLikeIdentifierValue } from './attribute-keys.js';
import { clipBlock, clipFlat } from './text.js';

export interface ExceptionEvidence {
  readonly type: string;
  readonly message: string;
  /** Outermost call first, innermost (where it was raised) last; the outermost are dropped past the cap. */
  readonly frames: readonly StackFrame[];
  readonly omittedFrames: number;
}

export interface SampleEvidence {
  readonly eventId: string;
  readonly timestamp: number;
  readonly service: string;
  readonly serviceVersion?: string;
  readonly environment?: string;
  readonly operation?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly errorType: string;
  readonly message: string;
  /** The chain as parsed: [0] reached the top, the last is the root cause. Empty when the trace did not parse. */
  readonly exceptions: readonly ExceptionEvidence[];
  /** The stack trace as printed, clipped, when no parser recognised it. */
  readonly unparsedStackTrace?: string;
  readonly attributes: readonly (readonly [string, string])[];
}

export interface SampleEvidenceOptions {
  readonly maxFramesPerException?: number;
  readonly maxExceptions?: number;
  readonly maxMessageChars?: number;
  readonly maxAttributes?: number;
  readonly maxUnparsedChars?: number;
}

const DEFAULTS = {
  maxFramesPerException: 30,
  maxExceptions: 4,
  maxMessageChars: 1000,
  maxAttributes: 25,
  maxUnparsedChars: 4000,
};

export function sampleEvidence(
  event: ErrorEvent,
  languageHint?: string,
  options: SampleEvidenceOptions = {},
): SampleEvidence {
  const limits = { ...DEFAULTS, ...options };
  const parsed = event.stackTrace ? parseStackTrace(event.stackTrace, event.language ?? languageHint) : undefined;
  const exceptions = (parsed?.exceptions ?? []).slice(0, limits.maxExceptions).map((exception) => {
    const frames = exception.frames.slice(-limits.maxFramesPerException);
    return {
      type: exception.type,
      message: clipFlat(exception.message, limits.maxMessageChars),
      frames,
      omittedFrames: exception.frames.length - frames.length,
    };
  });
  return {
    eventId: event.eventId,
    timestamp: event.timestamp,
    service: event.service,
    ...optional('serviceVersion', event.serviceVersion),
    ...optional('environment', event.environment),
    ...optional('operation', event.operation),
    ...optional('traceId', event.traceId),
    ...optional('spanId', event.spanId),
    errorType: event.errorType,
    message: clipFlat(event.message, limits.maxMessageChars),
    exceptions,
    ...(event.stackTrace && exceptions.length === 0
      ? { unparsedStackTrace: clipBlock(event.stackTrace, limits.maxUnparsedChars) }
      : {}),
    attributes: describingAttributes(event.attributes, limits.maxAttributes),
  };
}

/** The root cause's frames: the last exception of the chain that has any. */
export function rootCauseFrames(sample: SampleEvidence): readonly StackFrame[] {
  return [...sample.exceptions].reverse().find((e) => e.frames.length > 0)?.frames ?? [];
}

/** Span/resource attributes plus the event's own service facts, in the shape the attribute contrast reads. */
export function eventAttributeMap(event: ErrorEvent): Record<string, AttributeValue> {
  return {
    ...event.attributes,
    'service.name': event.service,
    ...optional('service.version', event.serviceVersion),
    ...optional('deployment.environment', event.environment),
  };
}

function describingAttributes(attributes: ErrorEvent['attributes'], max: number): (readonly [string, string])[] {
  const out: (readonly [string, string])[] = [];
  for (const key of Object.keys(attributes ?? {}).sort()) {
    if (out.length >= max) break;
    if (isIdentifierKey(key)) continue;
    const value = attributes[key];
    if (value === null || value === undefined) continue;
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    if (looksLikeIdentifierValue(text)) continue;
    out.push([key, clipFlat(text, 200)]);
  }
  return out;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: string };
}
