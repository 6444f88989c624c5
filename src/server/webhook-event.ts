/** @module A webhook's error as an ErrorEvent, with an event id derived from its content so a retry counts once. */
import { createHash } from 'node:crypto';
import type { AttributeValue, ErrorEvent } from '../domain/index.js';
import type { DiagnoseRequest } from './diagnose-request.js';

/**
 * The same error sent twice (an alerting system retrying after a timeout) gets the same event id, and the store
 * counts an event id once. Everything that describes the occurrence goes into the hash, the time included, so two
 * real occurrences differ as long as the sender gives their time or their trace.
 */
export function webhookEventId(request: DiagnoseRequest): string {
  const content = canonicalJson({
    trace_id: request.traceId ?? null,
    service: request.service ?? null,
    error_type: request.errorType ?? null,
    message: request.message ?? null,
    stack_trace: request.stackTrace ?? null,
    language: request.language ?? null,
    service_version: request.serviceVersion ?? null,
    timestamp: request.timestamp ?? null,
    attributes: request.attributes ?? null,
  });
  return `webhook:${createHash('sha256').update(content, 'utf8').digest('hex').slice(0, 32)}`;
}

/** Needs `service` and one of message/stack_trace (the request schema guarantees both on this path). */
export function webhookEvent(request: DiagnoseRequest, now: number): ErrorEvent {
  return {
    eventId: webhookEventId(request),
    ...(request.traceId !== undefined ? { traceId: request.traceId } : {}),
    service: request.service ?? '',
    ...(request.serviceVersion !== undefined ? { serviceVersion: request.serviceVersion } : {}),
    // Empty lets the fingerprinter take the type from the stack trace's top exception.
    errorType: request.errorType ?? '',
    message: request.message ?? '',
    ...(request.stackTrace !== undefined ? { stackTrace: request.stackTrace } : {}),
    ...(request.language !== undefined ? { language: request.language } : {}),
    // Without a time of its own the error happened about now; the id stays stable because it hashes the body.
    timestamp: request.timestamp ?? now,
    attributes: request.attributes ?? {},
    source: 'webhook',
  };
}

/** JSON with object keys sorted at every level, so key order in the body does not change the id. */
export function canonicalJson(value: AttributeValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
