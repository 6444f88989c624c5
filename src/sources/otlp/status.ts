/** @module The one table that turns an OTLP request outcome into an HTTP status, a gRPC code and a retry verdict. */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { OtlpDecodeError } from './decoded.js';

/** Every way an OTLP request can fail. Success is not an outcome here: it is always 200 / OK with an empty response. */
export type OtlpOutcome =
  | 'bad_data'
  | 'too_large'
  | 'unsupported_media_type'
  | 'method_not_allowed'
  | 'not_found'
  | 'unsupported_encoding'
  | 'unauthenticated'
  | 'overloaded'
  | 'unavailable'
  | 'signal_not_accepted';

export interface OutcomeStatus {
  readonly http: number;
  readonly grpc: GrpcStatus;
  /** Whether an OTLP client retries (spec: HTTP 429/502/503/504; gRPC UNAVAILABLE, or RESOURCE_EXHAUSTED with RetryInfo). */
  readonly retryable: boolean;
  /**
   * Whole seconds, sent as `Retry-After` (HTTP) and `RetryInfo.retry_delay` (gRPC); only on retryable outcomes.
   * A range, because the JS exporters retry after exactly the advertised delay: a fixed value would bring
   * every refused sender back in the same millisecond and refuse them again (see `retryDelaySeconds`).
   */
  readonly retryAfterSeconds?: readonly [min: number, max: number];
}

/**
 * The only mapping table (STYLE-ANCHORS §3, collector `internal/errors/errors.go`). Changing a verdict here
 * changes both transports at once, which is the point.
 */
export const OUTCOMES: Readonly<Record<OtlpOutcome, OutcomeStatus>> = {
  bad_data: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  // Spec v1.11: over-limit requests are non-retryable; RESOURCE_EXHAUSTED without RetryInfo says exactly that.
  too_large: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryable: false },
  unsupported_media_type: { http: 415, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  method_not_allowed: { http: 405, grpc: GrpcStatus.UNIMPLEMENTED, retryable: false },
  not_found: { http: 404, grpc: GrpcStatus.UNIMPLEMENTED, retryable: false },
  unsupported_encoding: { http: 400, grpc: GrpcStatus.UNIMPLEMENTED, retryable: false },
  unauthenticated: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED, retryable: false },
  // Backpressure: the JS HTTP exporters honour Retry-After; the Go collector retries UNAVAILABLE with RetryInfo.
  overloaded: { http: 429, grpc: GrpcStatus.UNAVAILABLE, retryable: true, retryAfterSeconds: [1, 3] },
  // The store is down or something unexpected failed after the request was understood: the data is good, so
  // the sender keeps it and tries again (collector: an untyped consumer error is Unavailable).
  unavailable: { http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true, retryAfterSeconds: [2, 5] },
  signal_not_accepted: { http: 404, grpc: GrpcStatus.UNIMPLEMENTED, retryable: false },
};

export const SUPPORTED_ENCODINGS_TEXT = 'gzip, deflate, zstd, identity';
export const SIGNALS_TEXT = 'Rounds receives traces and logs only; metrics are not accepted';

/** An expected refusal with a message that is ours and safe to send back. */
export class OtlpRefusal extends Error {
  readonly outcome: OtlpOutcome;

  constructor(outcome: OtlpOutcome, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OtlpRefusal';
    this.outcome = outcome;
  }

  get status(): OutcomeStatus {
    return OUTCOMES[this.outcome];
  }
}

/** The refusal for a body over OTLP_MAX_REQUEST_BYTES, on the wire or after decompression. */
export function tooLarge(what: string, limit: number): OtlpRefusal {
  return new OtlpRefusal('too_large', `${what} exceeds the limit of ${limit} bytes (OTLP_MAX_REQUEST_BYTES)`);
}

/**
 * Any error thrown while handling a request, as the refusal to send. Decode errors are the client's fault;
 * anything we did not anticipate (the sink rejecting, a bug) becomes `unavailable`, because dropping good
 * data on our own failure is worse than a retry. The original error is kept as `cause` for the log only.
 */
export function toRefusal(error: unknown): OtlpRefusal {
  if (error instanceof OtlpRefusal) return error;
  if (error instanceof OtlpDecodeError) return new OtlpRefusal('bad_data', error.message, { cause: error });
  return new OtlpRefusal('unavailable', 'the receiver could not store this request; retry later', { cause: error });
}

/** The delay to advertise for a retryable outcome, spread uniformly over its range; undefined when not retryable. */
export function retryDelaySeconds(outcome: OtlpOutcome, random: () => number = Math.random): number | undefined {
  const range = OUTCOMES[outcome].retryAfterSeconds;
  if (range === undefined) return undefined;
  const [min, max] = range;
  return min + Math.floor(random() * (max - min + 1));
}
