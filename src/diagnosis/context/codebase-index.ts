/**
 * @module An index of the codebase's files by name, built once per codebase and bounded: dependency, build and
 * hidden directories are skipped, symlinked directories are not followed, and the walk stops at a file cap.
 */
import { join } from 'node:path';
import { RoundsError } from '../../domain/index.js';
import type { CodebaseReader } from './codebase-reader.js';

export interface CodebaseIndexOptions {
  /** Files indexed at most; the walk is breadth-first, so shallow files are indexed before deep ones. */
  readonly maxFiles?: number;
  readonly maxDepth?: number;
  /** Directory names skipped in addition to the defaults. */
  readonly skipDirectories?: readonly string[];
}

export interface CodebaseIndex {
  /** The codebase root with symlinks resolved: every file read must stay under it. */
  readonly root: string;
  readonly fileCount: number;
  /** True when the file cap stopped the walk: a frame may then be "not found" although the file exists. */
  readonly truncated: boolean;
  /** What the walk skipped or could not read, in words, for the evidence's notes. */
  readonly notes: readonly string[];
  /** Relative paths (forward slashes) of the indexed files with this exact file name. */
  filesNamed(fileName: string): readonly string[];
}

export const DEFAULT_MAX_INDEXED_FILES = 20_000;
const DEFAULT_MAX_DEPTH = 32;

/** Dependencies, build outputs and caches: never the source a frame should be matched to. Dot-directories too. */
const SKIPPED_DIRECTORIES = new Set([
  'node_modules',
  'bower_components',
  'jspm_packages',
  'vendor',
  'dist',
  'build',
  'out',
  'target',
  'coverage',
  '__pycache__',
  'site-packages',
  'venv',
  'Pods',
  'DerivedData',
]);

export async function buildCodebaseIndex(
  reader: CodebaseReader,
  codebasePath: string,
  options: CodebaseIndexOptions = {},
): Promise<CodebaseIndex> {
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_INDEXED_FILES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const skipped = new Set([...SKIPPED_DIRECTORIES, ...(options.skipDirectories ?? [])]);
  let root: string;
  try {
    root = await reader.realPath(codebasePath);
    if ((await reader.stat(root)).kind !== 'directory') throw new Error('not a directory');
  } catch (error) {
    throw new RoundsError('ROUNDS_INVALID_CONFIG', `the codebase path ${codebasePath} is not a readable directory`, {
      cause: error,
    });
  }

  const byName = new Map<string, string[]>();
  let fileCount = 0;
  let truncated = false;
  let unreadable = 0;
  let symlinkedDirectories = 0;
  let tooDeep = 0;
  const queue: { relative: string; depth: number }[] = [{ relative: '', depth: 0 }];
  walk: for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    let entries: Awaited<ReturnType<CodebaseReader['listDirectory']>>;
    try {
      entries = await reader.listDirectory(next.relative === '' ? root : join(root, next.relative));
    } catch {
      unreadable += 1;
      continue;
    }
    for (const entry of entries) {
      const relative = next.relative === '' ? entry.name : `${next.relative}/${entry.name}`;
      let kind = entry.kind;
      if (kind === 'symlink') {
        // A symlinked file is indexed (the read checks it stays inside the root); a symlinked directory is not
        // followed, which rules out cycles and trees outside the codebase.
        kind = await reader.stat(join(root, relative)).then(
          (facts) => facts.kind,
          () => 'other' as const,
        );
        if (kind === 'directory') {
          symlinkedDirectories += 1;
          continue;
        }
      }
      if (kind === 'directory') {
        if (entry.name.startsWith('.') || skipped.has(entry.name)) continue;
        if (next.depth + 1 > maxDepth) tooDeep += 1;
        else queue.push({ relative, depth: next.depth + 1 });
      } else if (kind === 'file') {
        if (fileCount >= maxFiles) {
          truncated = true;
          break walk;
        }
        fileCount += 1;
        const list = byName.get(entry.name);
        if (list) list.push(relative);
        else byName.set(entry.name, [relative]);
      }
    }
  }

  const notes: string[] = [];
  if (truncated) notes.push(`only the first ${maxFiles} files of the codebase were indexed (breadth-first)`);
  if (unreadable > 0) notes.push(`${unreadable} director${unreadable === 1 ? 'y' : 'ies'} could not be read`);
  if (symlinkedDirectories > 0) notes.push(`${symlinkedDirectories} symlinked director(ies) were not followed`);
  if (tooDeep > 0) notes.push(`${tooDeep} director(ies) deeper than ${maxDepth} levels were not indexed`);
  return {
    root,
    fileCount,
    truncated,
    notes,
    filesNamed: (fileName) => byName.get(fileName) ?? [],
  };
}
