/** @module In-app classification: the runtime's own conventions, overridden by the user's include/exclude patterns. */
import type { StackFrame } from '../domain/index.js';

export interface InAppPatterns {
  /** Globs over a frame's file or module that ARE the user's code (e.g. `com.acme.*`, `*\/myapp/*`). */
  include: readonly string[];
  /** Globs that are NOT the user's code; exclude wins over include. */
  exclude: readonly string[];
}

export type InAppOverride = (frame: StackFrame) => boolean;

/**
 * Compiles the patterns once. `*` matches any run of characters (path separators and dots included), so
 * `com.acme.*` covers every package under com.acme and `*\/vendor/*` any vendored file.
 */
export function compileInAppOverride(patterns: InAppPatterns): InAppOverride | undefined {
  if (patterns.include.length === 0 && patterns.exclude.length === 0) return undefined;
  const include = toMatcher(patterns.include);
  const exclude = toMatcher(patterns.exclude);
  return (frame) => {
    const subjects = [frame.file, frame.module].filter((s): s is string => s !== undefined);
    if (exclude !== undefined && subjects.some((s) => exclude.test(s))) return false;
    if (include !== undefined && subjects.some((s) => include.test(s))) return true;
    return frame.inApp;
  };
}

function toMatcher(globs: readonly string[]): RegExp | undefined {
  if (globs.length === 0) return undefined;
  const alternatives = globs.map((glob) =>
    glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*'),
  );
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}
