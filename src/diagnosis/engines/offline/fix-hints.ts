/** @module Fix hints: keyword tables mapping an error family to generic, concrete guidance for the offline engine. */

export interface FixFamily {
  readonly id: string;
  /** Tested against `errorType + ' ' + messageTemplate`; the first family that matches wins, so order is priority. */
  readonly pattern: RegExp;
  /** Guidance; `{where}` becomes the file:line (or the best location we have). */
  readonly hint: string;
}

/** Builds one case-insensitive alternation per family once at load, rather than scanning keyword lists per call. */
function family(id: string, keywords: readonly string[], hint: string): FixFamily {
  // Bare status codes need word boundaries so they do not match inside ids or longer numbers.
  const escaped = keywords.map((k) => {
    const e = k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return /^\d+$/.test(k) ? `\\b${e}\\b` : e;
  });
  return { id, pattern: new RegExp(escaped.join('|'), 'i'), hint };
}

// Specific families come before broad ones: a "connection refused" panic is a connection problem first.
export const FIX_FAMILIES: readonly FixFamily[] = [
  family(
    'db-constraint',
    [
      'IntegrityError',
      'UniqueViolation',
      'duplicate key',
      'unique constraint',
      'foreign key',
      'deadlock',
      'ConstraintViolation',
      'lock wait timeout',
      'serialization failure',
    ],
    'Inspect the write at {where}: make it idempotent (upsert or check-then-insert inside the same transaction), keep lock order consistent across transactions, and retry deadlocks/serialization failures with backoff.',
  ),
  family(
    'timeout-connection',
    [
      'timeout',
      'timed out',
      'TimeoutError',
      'DeadlineExceeded',
      'deadline exceeded',
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'connection refused',
      'connection reset',
      'ConnectionError',
      'OperationalError',
      'broken pipe',
      'EPIPE',
      'socket hang up',
      'pool exhausted',
      'too many connections',
    ],
    "Inspect the remote call at {where}: set an explicit timeout shorter than the caller's, retry idempotent calls with jittered backoff, make sure connections/sessions are released on every path (finally/defer/using), and check the dependency's health and pool size.",
  ),
  family(
    'http-5xx',
    [
      '503',
      '502',
      '504',
      '500',
      'Service Unavailable',
      'Bad Gateway',
      'Gateway Timeout',
      'Internal Server Error',
      'HTTPError',
      'upstream',
    ],
    "The failure comes from a dependency answering 5xx at {where}: check that service's health and logs for the same trace ids, add retries with backoff and a circuit breaker for idempotent requests, and degrade gracefully instead of propagating the error.",
  ),
  family(
    'auth',
    [
      'PermissionError',
      'Permission denied',
      'EACCES',
      'Unauthorized',
      'Forbidden',
      '401',
      '403',
      'AccessDenied',
      'access denied',
      'AuthenticationError',
      'invalid token',
      'token expired',
      'credentials',
    ],
    'Inspect the call at {where}: check which identity/credentials it runs with, whether a token expired or was rotated, and whether the required permission or scope was granted; refresh tokens before expiry rather than on failure.',
  ),
  family(
    'null-access',
    [
      'NoneType',
      'undefined',
      'null',
      'NullPointerException',
      'NullReferenceException',
      'nil pointer',
      'nil map',
      'AttributeError',
      'NoMethodError',
    ],
    'A value is missing where {where} assumes it exists: trace where it is produced (a lookup, an optional field, an async result that was not awaited), then guard it (optional chaining / explicit None/nil check) or fail early with a clear error at the boundary that admits it.',
  ),
  family(
    'index-panic',
    [
      'index out of range',
      'IndexError',
      'ArrayIndexOutOfBounds',
      'IndexOutOfRange',
      'out of bounds',
      'slice bounds',
      'panic',
      'RangeError',
    ],
    'Inspect the indexing at {where}: check the length before indexing or slicing (empty collections are the usual trigger), and in Go recover at the request boundary so one bad input does not crash the process.',
  ),
  family(
    'not-found',
    [
      'KeyError',
      'NoSuchElement',
      'not found',
      'NotFound',
      'DoesNotExist',
      'NoSuchKey',
      'ENOENT',
      'missing key',
      'no such',
    ],
    'Inspect the lookup at {where}: the key or record is absent for some inputs. Use a defaulting lookup (dict.get / getOrDefault / optional) or handle the miss explicitly, and check whether the producer stopped writing the key (a renamed field or a newer payload schema).',
  ),
  family(
    'validation',
    [
      'ValueError',
      'ValidationError',
      'ParseError',
      'SyntaxError',
      'JSONDecodeError',
      'NumberFormatException',
      'invalid',
      'malformed',
      'unexpected token',
      'cannot parse',
      'failed to parse',
      'TypeError',
      'ClassCastException',
      'InvalidCastException',
    ],
    'Inspect the parsing/conversion at {where}: validate the input at the boundary (schema check) and reject it with a 4xx instead of failing deep inside; capture one offending payload from the sample traces to add as a regression test.',
  ),
];

export const DEFAULT_HINT =
  'Inspect {where}: reproduce with the inputs of the sample traces, check what changed in the first affected version, and add a test that covers the failing path.';

/** The first family whose keywords appear in the error type or message template, if any. */
export function fixFamilyFor(errorType: string, messageTemplate: string): FixFamily | undefined {
  const text = `${errorType} ${messageTemplate}`;
  return FIX_FAMILIES.find((f) => f.pattern.test(text));
}
