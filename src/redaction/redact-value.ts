/** @module Redaction of structured payloads: every string of a JSON-like value, and whole values under secret keys. */
import { RoundsError } from '../domain/errors.js';
import type { Findings } from './findings.js';
import { isPlaceholder } from './placeholders.js';
import { redactionMarker } from './rule.js';

/** Keys whose string value is a secret whatever it looks like: `{"password": "hunter2"}` has no pattern to find. */
const SECRET_KEY =
  /(?:^|[_.-])(?:passw(?:or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|authorization|cookie|set[_-]cookie)(?:[_.-]?(?:key|value|base|string)){0,2}$/;
const SECRET_FIELD = 'secret_field';

/** `accessToken` and `ACCESS_TOKEN` alike: camelCase split into snake_case, lower case. */
function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
}

export function redactTree(value: unknown, redactText: (text: string) => string, findings: Findings): unknown {
  const ancestors = new Set<object>();

  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return redactText(node);
    if (typeof node !== 'object' || node === null) return node;
    if (!Array.isArray(node) && !isPlainObject(node)) return node;
    // A cycle cannot be serialised anyway; stopping here beats sending half-redacted output.
    if (ancestors.has(node)) throw new RoundsError('ROUNDS_INVALID_INPUT', 'redaction: the value contains a cycle');
    ancestors.add(node);
    try {
      if (Array.isArray(node)) return node.map(walk);
      const taken = new Set<string>();
      // fromEntries defines properties, so a `__proto__` key stays data instead of replacing the prototype.
      return Object.fromEntries(
        Object.entries(node).map(([key, child]) => [
          uniqueKey(taken, redactText(key)),
          isSecretKey(key) ? (redactField(child, findings) ?? walk(child)) : walk(child),
        ]),
      );
    } finally {
      ancestors.delete(node);
    }
  };

  return walk(value);
}

/** The marker for a string value under a secret key, or undefined to redact it like any other value. */
function redactField(value: unknown, findings: Findings): string | undefined {
  // Numbers and booleans under such keys are counts and flags (`token: 3` retries), not credentials.
  if (typeof value !== 'string' || value === '' || isPlaceholder(value)) return undefined;
  findings.add(SECRET_FIELD);
  return redactionMarker(SECRET_FIELD);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Two keys that redact to the same text (two addresses) stay two entries. */
function uniqueKey(taken: Set<string>, key: string): string {
  let unique = key;
  for (let n = 2; taken.has(unique); n++) unique = `${key} #${n}`;
  taken.add(unique);
  return unique;
}
