import { describe, expect, it } from 'vitest';
import { parseDiagnoseRequest, parseWait } from './diagnose-request.js';
import { HttpError } from './http-error.js';

function problem(body: unknown): string {
  try {
    parseDiagnoseRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    return (error as HttpError).message;
  }
  throw new Error('expected a 400');
}

describe('parseDiagnoseRequest', () => {
  it('maps the deployment guide body to camelCase, with the time in ms', () => {
    expect(
      parseDiagnoseRequest({
        trace_id: 'abc123',
        service: 'payment-service',
        error_type: 'DatabaseTimeoutError',
        timestamp: '2025-02-19T10:30:00Z',
        unknown_field: 'ignored',
      }),
    ).toEqual({
      traceId: 'abc123',
      service: 'payment-service',
      errorType: 'DatabaseTimeoutError',
      timestamp: Date.UTC(2025, 1, 19, 10, 30),
    });
  });

  it('takes epoch milliseconds as a number or digits, and keeps stack traces verbatim', () => {
    const stack = '  File "a.py", line 1\n    boom()\n';
    expect(parseDiagnoseRequest({ service: 's', stack_trace: stack, timestamp: 1739961000000 })).toMatchObject({
      stackTrace: stack,
      timestamp: 1739961000000,
    });
    expect(parseDiagnoseRequest({ signature_id: 'sig_1', timestamp: '1739961000000' }).timestamp).toBe(1739961000000);
  });

  it('treats blank strings as absent', () => {
    expect(parseDiagnoseRequest({ signature_id: 'sig_1', trace_id: '  ', service: '' })).toEqual({
      signatureId: 'sig_1',
    });
  });

  it('names every bad field', () => {
    const message = problem({ service: 7, timestamp: 'soon', attributes: [1] });
    expect(message).toContain('service:');
    expect(message).toContain('timestamp: must be an ISO 8601 time');
    expect(message).toContain('attributes:');
  });

  it('needs something to look a signature up by, and a service to record an error', () => {
    expect(problem({})).toContain('nothing to look a signature up by');
    expect(problem({ service: 'only-service' })).toContain('nothing to look a signature up by');
    expect(problem({ message: 'boom' })).toContain('service: is required');
    expect(problem([])).toContain('the body must be a JSON object');
    expect(problem(null)).toContain('the body must be a JSON object');
  });
});

describe('parseWait', () => {
  it('reads true/1/empty as waiting, false/0/absent as not, anything else as a 400', () => {
    expect(parseWait(undefined)).toBe(false);
    expect(parseWait('true')).toBe(true);
    expect(parseWait('1')).toBe(true);
    expect(parseWait('')).toBe(true);
    expect(parseWait('false')).toBe(false);
    expect(parseWait(['true', '0'])).toBe(false);
    expect(() => parseWait('soon')).toThrow(HttpError);
  });
});
