/** @module Redaction's public surface: the Redactor and the parsing of REDACTION_EXTRA_PATTERNS. */
export { BUILT_IN_RULE_NAMES } from './built-in-rules.js';
export { checkExtraPatterns, parseExtraPatterns } from './extra-patterns.js';
export type { RedactionFinding } from './findings.js';
export { type RedactedValue, type RedactionResult, Redactor, type RedactorOptions } from './redactor.js';
export { redactionMarker } from './rule.js';
