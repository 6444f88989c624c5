/** @module What a redaction rule is, and the replacement every rule writes. */

export interface RedactionRule {
  /** Says what kind of thing was removed: it names the rule in findings and in the replacement. */
  readonly name: string;
  /**
   * Compiled with the `g` and `d` flags. When it has a `secret` named group, only that group is replaced, so the
   * context that makes the report readable (a key name, a URL's user and host, a header's scheme) stays.
   */
  readonly pattern: RegExp;
  /** True when the matched value is not a secret after all (a SQL placeholder, a word of prose) and must stay. */
  readonly keep?: (secret: string, match: RegExpExecArray) => boolean;
}

/** `[REDACTED:<rule>]`: a reader of the report sees that something was removed and what kind of thing it was. */
export function redactionMarker(rule: string): string {
  return `[REDACTED:${rule}]`;
}

/**
 * Every rule refuses to start its secret on an earlier rule's marker, so rules never redact each other's output
 * and redacting twice changes nothing.
 */
export const NOT_A_MARKER = String.raw`(?!\[REDACTED:)`;
