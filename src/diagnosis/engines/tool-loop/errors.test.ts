/** @module Tests for the error table of the LLM engines and the retry-after parser. */
import { describe, expect, it } from 'vitest';
import { type FailureContext, failureToError, retryAfterSeconds } from './errors.js';

const context: FailureContext = {
  engine: 'openai',
  model: 'gpt-4.1',
  callerAborted: false,
  timedOut: false,
  timeoutMs: 300_000,
};

describe('failureToError', () => {
  it.each([
    [
      { kind: 'status', status: 429, message: 'slow', retryAfterSeconds: 30 },
      'ROUNDS_ENGINE_UNAVAILABLE',
      true,
      /429; retry after 30s/,
    ],
    [{ kind: 'status', status: 529, message: 'overloaded' }, 'ROUNDS_ENGINE_UNAVAILABLE', true, /529/],
    [{ kind: 'status', status: 500, message: 'boom' }, 'ROUNDS_ENGINE_UNAVAILABLE', true, /failed \(500\)/],
    [{ kind: 'status', status: 408, message: 'slow' }, 'ROUNDS_ENGINE_UNAVAILABLE', true, /408/],
    [{ kind: 'status', status: 401, message: 'bad key' }, 'ROUNDS_INVALID_CONFIG', false, /API key/],
    [{ kind: 'status', status: 403, message: 'no' }, 'ROUNDS_INVALID_CONFIG', false, /API key/],
    [
      { kind: 'status', status: 404, message: 'no model' },
      'ROUNDS_INVALID_CONFIG',
      false,
      /model or endpoint not found/,
    ],
    [
      { kind: 'status', status: 413, message: 'too big' },
      'ROUNDS_DIAGNOSIS_FAILED',
      false,
      /rejected the request \(413\)/,
    ],
    [
      { kind: 'connection', message: 'ECONNREFUSED' },
      'ROUNDS_ENGINE_UNAVAILABLE',
      true,
      /cannot reach openai \(gpt-4\.1\)/,
    ],
    [{ kind: 'timeout' }, 'ROUNDS_TIMEOUT', true, /timed out$/],
  ] as const)('maps %o to %s (retryable: %s)', (failure, code, retryable, message) => {
    const error = failureToError(failure, context, new Error('sdk'));
    expect(error).toMatchObject({ code, retryable });
    expect(error.message).toMatch(message);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('puts the caller abort and the deadline before what the SDK says', () => {
    const aborted = { kind: 'aborted' } as const;
    expect(failureToError(aborted, { ...context, callerAborted: true, timedOut: true }, undefined)).toMatchObject({
      code: 'ROUNDS_DIAGNOSIS_FAILED',
      retryable: true,
      message: 'the openai (gpt-4.1) diagnosis was aborted',
    });
    expect(failureToError(aborted, { ...context, timedOut: true, timeoutMs: 1_500 }, undefined)).toMatchObject({
      code: 'ROUNDS_TIMEOUT',
      message: 'the openai (gpt-4.1) diagnosis timed out after 1.5s',
    });
  });

  it('wraps an error the SDK did not raise, keeping its message', () => {
    expect(failureToError(undefined, context, new TypeError('x is undefined'))).toMatchObject({
      code: 'ROUNDS_DIAGNOSIS_FAILED',
      retryable: false,
      message: 'the openai (gpt-4.1) diagnosis failed: x is undefined',
    });
  });
});

describe('retryAfterSeconds', () => {
  const now = Date.UTC(2026, 10, 29, 12, 0, 0);
  it.each([
    [{ 'retry-after': '30' }, 30],
    [{ 'retry-after': '1.2' }, 2],
    [{ 'retry-after-ms': '1500', 'retry-after': '30' }, 2],
    [{ 'retry-after': new Date(now + 45_000).toUTCString() }, 45],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('reads %o as %s', (headers, expected) => {
    expect(retryAfterSeconds(new Headers(headers), now)).toBe(expected);
  });
});
