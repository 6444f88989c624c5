/**
 * @module Reads a codebase file only when its real location (symlinks and `..` resolved) is under the codebase
 * root: a symlink or a crafted path can never make evidence assembly read, or send, a file outside it.
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import type { CodebaseReader } from './codebase-reader.js';

export type ReadRefusal = 'outside-codebase' | 'unreadable' | 'not-a-file' | 'too-large' | 'binary';

export type ReadOutcome =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: ReadRefusal; readonly detail: string };

/** `root` must already be canonical (CodebaseIndex.root); `relativePath` uses forward slashes. */
export async function readInsideRoot(
  reader: CodebaseReader,
  root: string,
  relativePath: string,
  maxBytes: number,
): Promise<ReadOutcome> {
  const parts = relativePath.split(/[\\/]/);
  if (isAbsolute(relativePath) || /^[A-Za-z]:/.test(relativePath) || parts.includes('..')) {
    return { ok: false, reason: 'outside-codebase', detail: `${relativePath} is not a path inside the codebase` };
  }
  let real: string;
  try {
    real = await reader.realPath(join(root, ...parts));
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: `${relativePath} could not be opened (${describe(error)})` };
  }
  if (!isUnder(root, real)) {
    return { ok: false, reason: 'outside-codebase', detail: `${relativePath} resolves to a file outside the codebase` };
  }
  try {
    // Reads the resolved path, not the joined one, so a link swapped after the check is not followed.
    const facts = await reader.stat(real);
    if (facts.kind !== 'file') return { ok: false, reason: 'not-a-file', detail: `${relativePath} is not a file` };
    if (facts.sizeBytes > maxBytes) {
      return {
        ok: false,
        reason: 'too-large',
        detail: `${relativePath} is ${facts.sizeBytes} bytes, more than the ${maxBytes} read for evidence`,
      };
    }
    const text = await reader.readText(real);
    if (text.includes('\u0000')) return { ok: false, reason: 'binary', detail: `${relativePath} is not text` };
    return { ok: true, text };
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: `${relativePath} could not be read (${describe(error)})` };
  }
}

export function isUnder(root: string, path: string): boolean {
  if (path === root) return false;
  const rel = relative(root, path);
  return rel !== '' && !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`);
}

function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
