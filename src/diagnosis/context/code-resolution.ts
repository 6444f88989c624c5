/**
 * @module Resolves stack frames to code inside the codebase and cuts the lines around them; every frame that
 * cannot be resolved is reported with the reason.
 */
import type { StackFrame } from '../../domain/index.js';
import { type CodeLine, clusterLines, cutWindow, DEFAULT_MAX_LINE_CHARS } from './code-window.js';
import type { CodebaseIndex } from './codebase-index.js';
import type { CodebaseReader } from './codebase-reader.js';
import { framePathOf, type UnusablePathReason } from './frame-path.js';
import { matchFramePath } from './path-match.js';
import { type ReadRefusal, readInsideRoot } from './read-inside-root.js';

export interface CodeSnippet {
  /** Path inside the codebase, forward slashes. */
  readonly path: string;
  readonly lines: readonly CodeLine[];
  /** The lines frames point at (marked when rendered). */
  readonly focusLines: readonly number[];
  readonly totalLines: number;
  /** The frames that point into this snippet, innermost first. */
  readonly frames: readonly string[];
  /** How the frame's path was matched, and anything doubtful (line past the end of the file). */
  readonly notes: readonly string[];
}

export type UnresolvedReason =
  | UnusablePathReason
  | ReadRefusal
  | 'no-codebase'
  | 'not-found'
  | 'weak-match'
  | 'ambiguous';

export interface UnresolvedFrame {
  readonly frame: string;
  readonly file?: string;
  readonly line?: number;
  readonly reason: UnresolvedReason;
  readonly detail: string;
  /** Files that could have been meant (ambiguous or weak matches). */
  readonly candidates?: readonly string[];
}

export interface CodebaseAccess {
  readonly index: CodebaseIndex;
  readonly reader: CodebaseReader;
}

export interface CodeResolutionOptions {
  /** Lines shown each side of a frame's line (default 20). */
  readonly contextLines?: number;
  /** Snippets kept at most; frames beyond are counted, not read (default 8). */
  readonly maxSnippets?: number;
  /** Larger files are not read (default 1 MB). */
  readonly maxFileBytes?: number;
  readonly maxLineChars?: number;
}

export interface CodeResolution {
  readonly snippets: CodeSnippet[];
  readonly unresolved: UnresolvedFrame[];
  /** Resolved frames left out because of `maxSnippets`. */
  readonly framesOverCap: number;
}

export const DEFAULT_CONTEXT_LINES = 20;
const DEFAULT_MAX_SNIPPETS = 8;
const DEFAULT_MAX_FILE_BYTES = 1_000_000;
const MAX_CANDIDATES_LISTED = 5;

/** `frames` in priority order (innermost first). Never throws: every failure becomes an unresolved frame. */
export async function resolveFrameCode(
  frames: readonly StackFrame[],
  codebase: CodebaseAccess,
  options: CodeResolutionOptions = {},
): Promise<CodeResolution> {
  const radius = options.contextLines ?? DEFAULT_CONTEXT_LINES;
  const maxSnippets = options.maxSnippets ?? DEFAULT_MAX_SNIPPETS;
  const unresolved: UnresolvedFrame[] = [];
  const byFile = new Map<string, { frames: StackFrame[]; notes: Set<string> }>();
  const seen = new Set<string>();

  for (const frame of frames) {
    const key = `${frame.file ?? ''}:${frame.line ?? ''}:${frame.module ?? ''}:${frame.function ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pathResult = framePathOf(frame);
    if (!pathResult.ok) {
      unresolved.push(unresolvedFrame(frame, pathResult.reason, pathResult.detail));
      continue;
    }
    const { path } = pathResult;
    const fileName = path.segments.at(-1) ?? '';
    const match = matchFramePath(path, codebase.index.filesNamed(fileName));
    if (match.kind === 'none') {
      const more = codebase.index.truncated ? ' (the codebase index is truncated)' : '';
      unresolved.push(unresolvedFrame(frame, 'not-found', `no file named ${fileName} in the codebase${more}`));
    } else if (match.kind === 'weak') {
      unresolved.push(
        unresolvedFrame(
          frame,
          'weak-match',
          `only the file name matches; the frame's directories (${path.relative.slice(0, -1).join('/')}) do not`,
          match.candidates,
        ),
      );
    } else if (match.kind === 'ambiguous') {
      unresolved.push(
        unresolvedFrame(
          frame,
          'ambiguous',
          `${match.candidates.length} files share the path suffix ${path.segments.slice(-match.matchedSegments).join('/')}`,
          match.candidates,
        ),
      );
    } else {
      const entry = byFile.get(match.relativePath) ?? { frames: [], notes: new Set<string>() };
      entry.frames.push(frame);
      if (path.fromPackage) entry.notes.add('matched by package and file name');
      else if (match.matchedSegments === 1 && path.relative.length === 1) entry.notes.add('matched by file name only');
      byFile.set(match.relativePath, entry);
    }
  }

  const snippets: CodeSnippet[] = [];
  let framesOverCap = 0;
  for (const [relativePath, entry] of byFile) {
    if (snippets.length >= maxSnippets) {
      framesOverCap += entry.frames.length;
      continue;
    }
    const read = await readInsideRoot(
      codebase.reader,
      codebase.index.root,
      relativePath,
      options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    );
    if (!read.ok) {
      for (const frame of entry.frames) unresolved.push(unresolvedFrame(frame, read.reason, read.detail));
      continue;
    }
    const withLine = entry.frames.filter((f) => f.line !== undefined);
    const clusters =
      withLine.length > 0
        ? clusterLines(
            withLine.map((f) => f.line!),
            radius,
          )
        : [[]];
    for (const cluster of clusters) {
      if (snippets.length >= maxSnippets) {
        framesOverCap += cluster.length;
        continue;
      }
      const window = cutWindow(read.text, cluster, radius, options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS);
      const inCluster = entry.frames.filter((f) =>
        f.line === undefined ? cluster.length === 0 : cluster.includes(f.line),
      );
      snippets.push({
        path: relativePath,
        lines: window.lines,
        focusLines: window.focusLines,
        totalLines: window.totalLines,
        frames: inCluster.map(frameLabel),
        notes: [...entry.notes, ...window.notes],
      });
    }
  }
  return { snippets, unresolved, framesOverCap };
}

/** Every in-app frame is unresolved when no codebase is configured; said once per frame so the model knows. */
export function unresolvedWithoutCodebase(frames: readonly StackFrame[], detail: string): UnresolvedFrame[] {
  return frames.map((frame) => unresolvedFrame(frame, 'no-codebase', detail));
}

export function frameLabel(frame: StackFrame): string {
  const name = [frame.module, frame.function].filter(Boolean).join(' ') || '<anonymous>';
  if (!frame.file) return name;
  return `${name} (${frame.file}${frame.line === undefined ? '' : `:${frame.line}`})`;
}

function unresolvedFrame(
  frame: StackFrame,
  reason: UnresolvedReason,
  detail: string,
  candidates?: readonly string[],
): UnresolvedFrame {
  return {
    frame: frameLabel(frame),
    ...(frame.file === undefined ? {} : { file: frame.file }),
    ...(frame.line === undefined ? {} : { line: frame.line }),
    reason,
    detail,
    ...(candidates === undefined ? {} : { candidates: candidates.slice(0, MAX_CANDIDATES_LISTED) }),
  };
}
