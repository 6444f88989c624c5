/** @module Values that sit where a secret could, but are not one: they must survive redaction. */

/**
 * Query parameters (`?`, `$1`, `:name`, `@p1`, `%s`, `%(name)s`), template and environment references
 * (`{name}`, `${NAME}`, `{{ .Values.x }}`, `$NAME`), already-masked values (`***`, `xxx`, `<password>`,
 * `[FILTERED]`) and empty-ish literals. Redacting them would hide how the code handles the secret, which is often
 * the bug, while protecting nothing.
 */
const PLACEHOLDER =
  /^(?:\?|\$\d{1,3}|[:@][A-Za-z_]\w{0,63}|%s|%\([A-Za-z_]\w{0,63}\)s|\{\w{0,64}\}|\$\{[A-Za-z_]\w{0,63}\}|\{\{[^{}]{0,128}\}\}|\$[A-Z_][A-Z0-9_]{0,63}|\*{1,64}|x{3,64}|<[^<>]{0,64}>|\[(?:redacted|filtered|hidden|masked)[^\]]{0,64}\]|null|nil|none|undefined|true|false)$/i;

export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}

// One word (`denied`, `Missing`) or an environment variable's name (`DATABASE_URL`): after `secret:` or
// `token:` in a log line, that is the message talking about a secret, not the secret.
const PROSE_WORD = /^[A-Za-z][a-z]{0,19}$/;
const VARIABLE_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;

export function looksLikeProse(value: string): boolean {
  return PROSE_WORD.test(value) || VARIABLE_NAME.test(value);
}
