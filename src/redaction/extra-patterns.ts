/**
 * @module Operator-supplied patterns (REDACTION_EXTRA_PATTERNS): parsing the variable, checking and compiling each
 * pattern into a rule.
 */
import { RoundsError } from '../domain/errors.js';
import type { RedactionRule } from './rule.js';

/**
 * One regular expression per line; blank lines are skipped and each line is trimmed. Lines, not commas or a JSON
 * array: a regex may hold any punctuation, and JSON would silently turn `\b` (a word boundary) into a backspace.
 */
export function parseExtraPatterns(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** A leading `(?i)`, as in RE2, Go and Python, since JavaScript has no inline flag in Node 20. */
const IGNORE_CASE = '(?i)';
/** Long enough to recognise the pattern in an error, short enough not to flood it. */
const SHOWN_CHARS = 80;

/** Every problem with these patterns, one message each (empty when all are usable), so config can report them all. */
export function checkExtraPatterns(patterns: readonly string[]): string[] {
  return patterns.flatMap((source, i) => {
    const problem = problemWith(source);
    return problem === undefined ? [] : [`extra redaction pattern ${i + 1} ${show(source)} ${problem}`];
  });
}

/** The patterns as rules named `custom_1`, `custom_2`...; throws ROUNDS_INVALID_CONFIG naming every bad pattern. */
export function compileExtraPatterns(patterns: readonly string[]): RedactionRule[] {
  const problems = checkExtraPatterns(patterns);
  if (problems.length > 0) throw new RoundsError('ROUNDS_INVALID_CONFIG', problems.join('; '));
  return patterns.map((source, i) => ({ name: `custom_${i + 1}`, pattern: compile(source) }));
}

function problemWith(source: string): string | undefined {
  if (source.trim() === '' || source === IGNORE_CASE) return 'is empty';
  let pattern: RegExp;
  try {
    pattern = compile(source);
  } catch (error) {
    // V8 repeats the whole pattern in its message; the reason alone is what helps.
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
    return `is not a valid regular expression: ${reason}`;
  }
  // It would "find" a secret between every two characters and bury the text in markers.
  if (new RegExp(pattern.source, pattern.flags.replace('g', '')).test('')) return 'matches the empty string';
  return undefined;
}

function compile(source: string): RegExp {
  return source.startsWith(IGNORE_CASE)
    ? new RegExp(source.slice(IGNORE_CASE.length), 'gdi')
    : new RegExp(source, 'gd');
}

function show(source: string): string {
  return JSON.stringify(source.length <= SHOWN_CHARS ? source : `${source.slice(0, SHOWN_CHARS - 1)}…`);
}
