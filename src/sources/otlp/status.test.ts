import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { OtlpDecodeError } from './decoded.js';
import { OtlpRefusal, OUTCOMES, retryDelaySeconds, toRefusal } from './status.js';

describe('OTLP status mapping', () => {
  it.each([
    ['bad_data', 400, GrpcStatus.INVALID_ARGUMENT, false],
    ['too_large', 413, GrpcStatus.RESOURCE_EXHAUSTED, false],
    ['unsupported_media_type', 415, GrpcStatus.INVALID_ARGUMENT, false],
    ['method_not_allowed', 405, GrpcStatus.UNIMPLEMENTED, false],
    ['not_found', 404, GrpcStatus.UNIMPLEMENTED, false],
    ['unsupported_encoding', 400, GrpcStatus.UNIMPLEMENTED, false],
    ['unauthenticated', 401, GrpcStatus.UNAUTHENTICATED, false],
    ['overloaded', 429, GrpcStatus.UNAVAILABLE, true],
    ['unavailable', 503, GrpcStatus.UNAVAILABLE, true],
    ['signal_not_accepted', 404, GrpcStatus.UNIMPLEMENTED, false],
  ] as const)('%s → HTTP %i / gRPC %i, retryable %s', (outcome, http, grpc, retryable) => {
    expect(OUTCOMES[outcome]).toMatchObject({ http, grpc, retryable });
  });

  it('advertises a retry delay exactly on the retryable outcomes, only with statuses clients retry', () => {
    for (const [outcome, status] of Object.entries(OUTCOMES)) {
      const delay = retryDelaySeconds(outcome as keyof typeof OUTCOMES);
      expect(delay !== undefined).toBe(status.retryable);
      // Spec: HTTP 429/502/503/504 are retried; gRPC UNAVAILABLE is.
      if (status.retryable) {
        expect([429, 502, 503, 504]).toContain(status.http);
        expect(status.grpc).toBe(GrpcStatus.UNAVAILABLE);
      } else {
        expect([429, 502, 503, 504]).not.toContain(status.http);
      }
    }
  });

  it('spreads the retry delay over its whole range, in whole seconds', () => {
    expect(retryDelaySeconds('overloaded', () => 0)).toBe(1);
    expect(retryDelaySeconds('overloaded', () => 0.9999)).toBe(3);
    expect(retryDelaySeconds('too_large')).toBeUndefined();
    const seen = new Set(Array.from({ length: 200 }, () => retryDelaySeconds('overloaded')));
    expect([...seen].sort()).toEqual([1, 2, 3]);
  });

  it('turns decode errors into bad data and anything unexpected into a retryable unavailable', () => {
    expect(toRefusal(new OtlpDecodeError('truncated message')).outcome).toBe('bad_data');
    expect(toRefusal(new OtlpDecodeError('truncated message')).message).toBe('truncated message');
    const refusal = toRefusal(new Error('SQLITE_BUSY: database is locked'));
    expect(refusal.outcome).toBe('unavailable');
    // Internal error text stays in the log, never in the response.
    expect(refusal.message).not.toContain('SQLITE');
    const own = new OtlpRefusal('too_large', 'too big');
    expect(toRefusal(own)).toBe(own);
  });
});
