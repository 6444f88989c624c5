/** @module Opens a codebase for evidence: the reader plus its file index, built once and reused per diagnosis. */

import type { CodebaseAccess } from './code-resolution.js';
import { buildCodebaseIndex, type CodebaseIndexOptions } from './codebase-index.js';
import type { CodebaseReader } from './codebase-reader.js';
import { nodeCodebaseReader } from './node-codebase-reader.js';

/** Throws ROUNDS_INVALID_CONFIG when `codebasePath` is not a readable directory. */
export async function openCodebase(
  codebasePath: string,
  options: CodebaseIndexOptions & { readonly reader?: CodebaseReader } = {},
): Promise<CodebaseAccess> {
  const reader = options.reader ?? nodeCodebaseReader();
  return { reader, index: await buildCodebaseIndex(reader, codebasePath, options) };
}
