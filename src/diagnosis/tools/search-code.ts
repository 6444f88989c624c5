/**
 * @module The `search_code` tool: lines matching a literal string or a regular expression across the codebase,
 * walked in Node (no shell, no external grep), skipping dependencies, build output, binaries and secret files.
 */
import type { Dirent } from 'node:fs';
import { opendir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { type CodeTool, defineTool, ToolError } from './code-tool.js';
import { type CodebaseRoot, isSecretFile, SKIPPED_DIRECTORIES, toRelative } from './codebase-root.js';
import { compileGlob } from './glob.js';
import { type LineMatcher, literalMatcher, regexMatcher } from './line-matcher.js';

export interface SearchLimits {
  readonly maxResults: number;
  /** Files examined before the search stops, so a huge tree cannot make one call take minutes. */
  readonly maxFiles: number;
  readonly maxFileBytes: number;
  /** Longer lines are cut before matching (minified code) and in the output. */
  readonly maxLineChars: number;
  readonly timeLimitMs: number;
}

export const SEARCH_LIMITS: SearchLimits = {
  maxResults: 50,
  maxFiles: 20_000,
  maxFileBytes: 1_000_000,
  maxLineChars: 2_000,
  timeLimitMs: 5_000,
};

const SHOWN_LINE_CHARS = 200;
const SHOWN_PATH_CHARS = 200;

const input = z.object({
  query: z.string().min(1).max(500).describe('Text to find; a JavaScript regular expression when regex is true.'),
  regex: z.boolean().optional().describe('Treat query as a regular expression. Default false (literal text).'),
  case_sensitive: z.boolean().optional().describe('Default false.'),
  path_glob: z
    .string()
    .max(300)
    .optional()
    .describe('Only search matching files: "src/orders" (a directory), "*.py" (by name), "src/**/*.ts".'),
});

export function searchCodeTool(root: CodebaseRoot, redact: (text: string) => string, limits = SEARCH_LIMITS): CodeTool {
  return defineTool({
    name: 'search_code',
    description:
      'Searches the codebase for a literal string or a regular expression and returns matching lines as ' +
      `path:line: text (at most ${limits.maxResults}). Skips ${[...SKIPPED_DIRECTORIES].slice(0, 3).join(', ')} ` +
      'and other dependency or build directories.',
    input,
    // Each hit is a cut path, a line number and a cut line; plus the header and a note.
    maxResultChars: limits.maxResults * (SHOWN_PATH_CHARS + SHOWN_LINE_CHARS + 16) + 1_500,
    redact,
    async run({ query, regex, case_sensitive, path_glob }, signal) {
      const realRoot = await root.real();
      const matcher = regex
        ? regexMatcher(query, case_sensitive ?? false)
        : literalMatcher(query, case_sensitive ?? false);
      try {
        const outcome = await search(realRoot, matcher, compileGlob(path_glob ?? ''), limits, signal);
        return describe(query, outcome, limits);
      } finally {
        await matcher.close();
      }
    },
  });
}

interface Outcome {
  hits: string[];
  filesSearched: number;
  filesWithHits: number;
  stoppedBy?: 'results' | 'files' | 'time';
}

async function search(
  realRoot: string,
  matcher: LineMatcher,
  included: (relative: string) => boolean,
  limits: SearchLimits,
  signal: AbortSignal | undefined,
): Promise<Outcome> {
  const deadline = Date.now() + limits.timeLimitMs;
  const outcome: Outcome = { hits: [], filesSearched: 0, filesWithHits: 0 };
  for await (const absolute of walk(realRoot)) {
    if (signal?.aborted) throw new ToolError('search aborted');
    if (Date.now() > deadline) return { ...outcome, stoppedBy: 'time' };
    const relative = toRelative(realRoot, absolute);
    if (!included(relative)) continue;
    if (outcome.filesSearched >= limits.maxFiles) return { ...outcome, stoppedBy: 'files' };
    const lines = await readTextLines(absolute, limits);
    if (!lines) continue;
    outcome.filesSearched++;
    const found = await matcher.match(lines, limits.maxResults - outcome.hits.length, deadline);
    if (found === 'timeout') return { ...outcome, stoppedBy: 'time' };
    if (found.length > 0) outcome.filesWithHits++;
    for (const index of found) {
      const text = (lines[index] ?? '').trim();
      const shown = text.length > SHOWN_LINE_CHARS ? `${text.slice(0, SHOWN_LINE_CHARS)}…` : text;
      outcome.hits.push(`${shorten(relative)}:${index + 1}: ${shown}`);
    }
    if (outcome.hits.length >= limits.maxResults) return { ...outcome, stoppedBy: 'results' };
  }
  return outcome;
}

/** Regular files under `dir`, depth first in name order (stable output), never following symlinks. */
async function* walk(dir: string): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = [];
    for await (const entry of await opendir(dir)) entries.push(entry);
  } catch {
    return; // an unreadable directory is skipped, like grep -s
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const absolute = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) yield* walk(absolute);
    } else if (entry.isFile() && !isSecretFile(entry.name)) {
      yield absolute;
    }
  }
}

async function readTextLines(absolute: string, limits: SearchLimits): Promise<string[] | undefined> {
  try {
    if ((await stat(absolute)).size > limits.maxFileBytes) return undefined;
    const buffer = await readFile(absolute);
    if (buffer.subarray(0, 8_000).includes(0)) return undefined;
    return buffer
      .toString('utf8')
      .split(/\r?\n/)
      .map((line) => (line.length > limits.maxLineChars ? line.slice(0, limits.maxLineChars) : line));
  } catch {
    return undefined;
  }
}

/** Keeps both ends of an absurdly deep path: the directory it starts in and the file name. */
function shorten(relative: string): string {
  if (relative.length <= SHOWN_PATH_CHARS) return relative;
  const half = SHOWN_PATH_CHARS / 2 - 1;
  return `${relative.slice(0, half)}…${relative.slice(-half)}`;
}

function describe(query: string, outcome: Outcome, limits: SearchLimits): string {
  const notes: Record<NonNullable<Outcome['stoppedBy']>, string> = {
    results: `stopped at ${limits.maxResults} matches: narrow the query or the path_glob`,
    files: `stopped after ${limits.maxFiles} files: narrow the path_glob`,
    time: `stopped after ${limits.timeLimitMs / 1000}s: simplify the pattern or narrow the path_glob`,
  };
  const note = outcome.stoppedBy ? [`(${notes[outcome.stoppedBy]})`] : [];
  if (outcome.hits.length === 0) {
    return [`no matches for ${JSON.stringify(query)} in ${outcome.filesSearched} files`, ...note].join('\n');
  }
  return [
    `${outcome.hits.length} matches in ${outcome.filesWithHits} files (${outcome.filesSearched} searched):`,
    ...outcome.hits,
    ...note,
  ].join('\n');
}
