/** @module Which attribute keys and values identify one request rather than describe a class of them. Pure. */

/** Per-request identifiers and clocks: never a pattern, always noise (and sometimes personal data). */
const IDENTIFIER_KEY =
  /(^|[._-])(trace[._-]?id|span[._-]?id|parent[._-]?(span[._-]?)?id|request[._-]?id|correlation[._-]?id|session[._-]?id|message[._-]?id|event[._-]?id|transaction[._-]?id|uuid|guid|nonce|idempotency[._-]?key)$/i;
const CLOCK_KEY =
  /(^|[._-])(time|timestamp|ts|date|datetime|start|end|started[._-]?at|ended[._-]?at|created[._-]?at|duration|elapsed)(_?(ms|ns|us|s|seconds|millis))?$/i;
/** The error itself is what every sample has and no baseline span has: contrasting it says nothing. */
const ERROR_ITSELF = /^(exception\.|error\.|otel\.status_|status\.(code|message|description)$)/;

const UUID_VALUE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_ID_VALUE = /^[0-9a-f]{16,}$/i;
const ISO_TIME_VALUE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

export function isIdentifierKey(key: string): boolean {
  return IDENTIFIER_KEY.test(key) || CLOCK_KEY.test(key);
}

export function isErrorDescriptionKey(key: string): boolean {
  return ERROR_ITSELF.test(key);
}

export function looksLikeIdentifierValue(value: string): boolean {
  return UUID_VALUE.test(value) || HEX_ID_VALUE.test(value) || ISO_TIME_VALUE.test(value);
}
