/** @module The read-only code tools, built together over one codebase root. Nothing here writes or runs anything. */

import type { CodeTool } from './code-tool.js';
import { CodebaseRoot } from './codebase-root.js';
import { LIST_DIRECTORY_MAX_ENTRIES, listDirectoryTool } from './list-directory.js';
import { READ_FILE_LIMITS, type ReadFileLimits, readFileTool } from './read-file.js';
import { SEARCH_LIMITS, type SearchLimits, searchCodeTool } from './search-code.js';

export type { CodeTool, ToolResult } from './code-tool.js';
export type { ReadFileLimits } from './read-file.js';
export type { SearchLimits } from './search-code.js';

export interface CodeToolsOptions {
  /** The monitored project's source (CODEBASE_PATH). */
  readonly root: string;
  /** Applied to every tool output before it reaches a model (the secret redactor). Default: unchanged. */
  readonly redact?: (text: string) => string;
  readonly readFile?: Partial<ReadFileLimits>;
  readonly search?: Partial<SearchLimits>;
  readonly maxDirectoryEntries?: number;
}

/** `read_file`, `search_code` and `list_directory`, in that order. */
export function createCodeTools(options: CodeToolsOptions): CodeTool[] {
  const root = new CodebaseRoot(options.root);
  const redact = options.redact ?? ((text: string) => text);
  return [
    readFileTool(root, redact, { ...READ_FILE_LIMITS, ...options.readFile }),
    searchCodeTool(root, redact, { ...SEARCH_LIMITS, ...options.search }),
    listDirectoryTool(root, redact, options.maxDirectoryEntries ?? LIST_DIRECTORY_MAX_ENTRIES),
  ];
}
