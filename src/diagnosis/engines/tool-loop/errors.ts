/**
 * @module Errors of the LLM engines as RoundsErrors: one table that says which failures a later attempt can fix.
 * Rate limits, server errors, lost connections and timeouts are retryable; bad credentials, an unknown model and
 * requests the API rejects are not (the same request would fail the same way).
 */
import { RoundsError } from '../../../domain/index.js';
import type { ProviderFailure } from './provider.js';

export interface FailureContext {
  readonly engine: string;
  readonly model: string;
  /** The caller's signal fired. */
  readonly callerAborted: boolean;
  /** The engine's own deadline (DIAGNOSIS_TIMEOUT_SECONDS) passed. */
  readonly timedOut: boolean;
  readonly timeoutMs: number;
}

export function failureToError(
  failure: ProviderFailure | undefined,
  context: FailureContext,
  cause: unknown,
): RoundsError {
  const who = `${context.engine} (${context.model})`;
  // Our own signals first: the SDK reports both as a user abort.
  if (context.callerAborted) {
    return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', `the ${who} diagnosis was aborted`, { retryable: true, cause });
  }
  if (context.timedOut || failure?.kind === 'timeout') {
    const limit = context.timedOut ? ` after ${context.timeoutMs / 1000}s` : '';
    return new RoundsError('ROUNDS_TIMEOUT', `the ${who} diagnosis timed out${limit}`, { retryable: true, cause });
  }
  if (failure === undefined || failure.kind === 'aborted') {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', `the ${who} diagnosis failed: ${reason}`, { cause });
  }
  if (failure.kind === 'connection') {
    return new RoundsError('ROUNDS_ENGINE_UNAVAILABLE', `cannot reach ${who}: ${failure.message}`, {
      retryable: true,
      cause,
    });
  }
  const { status, message } = failure;
  if (status === 429) {
    const after = failure.retryAfterSeconds === undefined ? '' : `; retry after ${failure.retryAfterSeconds}s`;
    return new RoundsError('ROUNDS_ENGINE_UNAVAILABLE', `${who} is rate limiting requests (429${after}): ${message}`, {
      retryable: true,
      cause,
    });
  }
  if (status === 401 || status === 403) {
    return new RoundsError('ROUNDS_INVALID_CONFIG', `${who} rejected the API key (${status}): ${message}`, { cause });
  }
  if (status === 404) {
    return new RoundsError('ROUNDS_INVALID_CONFIG', `${who}: model or endpoint not found (404): ${message}`, { cause });
  }
  if (status === 408 || status === 409 || status >= 500) {
    return new RoundsError('ROUNDS_ENGINE_UNAVAILABLE', `${who} failed (${status}): ${message}`, {
      retryable: true,
      cause,
    });
  }
  return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', `${who} rejected the request (${status}): ${message}`, { cause });
}

/** Seconds from `retry-after` (seconds or an HTTP date) or `retry-after-ms`, when a response carried one. */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - now) / 1000)) : undefined;
}
