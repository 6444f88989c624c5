/** @module Domain errors: a stable code and whether retrying can help. */

export type RoundsErrorCode =
  | 'ROUNDS_BUDGET_EXCEEDED'
  | 'ROUNDS_DIAGNOSIS_FAILED'
  | 'ROUNDS_ENGINE_UNAVAILABLE'
  | 'ROUNDS_ILLEGAL_TRANSITION'
  | 'ROUNDS_INVALID_CONFIG'
  | 'ROUNDS_INVALID_INPUT'
  | 'ROUNDS_LEASE_LOST'
  | 'ROUNDS_NOT_FOUND'
  | 'ROUNDS_STORE_UNAVAILABLE'
  | 'ROUNDS_TIMEOUT'
  | 'ROUNDS_UNKNOWN_FINGERPRINT_CONFIG';

export class RoundsError extends Error {
  readonly code: RoundsErrorCode;
  readonly retryable: boolean;

  constructor(code: RoundsErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RoundsError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}
