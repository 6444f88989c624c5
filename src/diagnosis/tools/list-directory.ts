/** @module The `list_directory` tool: the entries of one directory in the codebase. */
import { readdir } from 'node:fs/promises';
import { z } from 'zod';
import { type CodeTool, defineTool, ToolError } from './code-tool.js';
import type { CodebaseRoot } from './codebase-root.js';

export const LIST_DIRECTORY_MAX_ENTRIES = 200;
const SHOWN_NAME_CHARS = 100;

const input = z.object({
  path: z
    .string()
    .max(1_000)
    .optional()
    .describe('Directory relative to the codebase root; "." or omitted for the root.'),
});

export function listDirectoryTool(
  root: CodebaseRoot,
  redact: (text: string) => string,
  maxEntries = LIST_DIRECTORY_MAX_ENTRIES,
): CodeTool {
  return defineTool({
    name: 'list_directory',
    description:
      'Lists one directory of the codebase: sub-directories end with "/", symbolic links with "@". ' +
      `At most ${maxEntries} entries.`,
    input,
    // Cut names with their marks and newlines, plus the header (it holds the path) and the "more" line.
    maxResultChars: maxEntries * (SHOWN_NAME_CHARS + 3) + 1_500,
    redact,
    async run({ path }) {
      const target = await root.resolve(path ?? '.');
      if (target.kind !== 'directory') throw new ToolError(`"${target.relative}" is not a directory (use read_file)`);
      const entries = (await readdir(target.absolute, { withFileTypes: true }))
        .filter((entry) => entry.name !== '.git')
        .map((entry) => {
          const name =
            entry.name.length > SHOWN_NAME_CHARS ? `${entry.name.slice(0, SHOWN_NAME_CHARS - 1)}…` : entry.name;
          if (entry.isSymbolicLink()) return `${name}@`;
          return entry.isDirectory() ? `${name}/` : name;
        })
        .sort();
      if (entries.length === 0) return `${target.relative}/ is empty`;
      const shown = entries.slice(0, maxEntries);
      const more = entries.length - shown.length;
      return [
        `${target.relative}/ (${entries.length} entries)`,
        ...shown,
        ...(more > 0 ? [`(${more} more not shown)`] : []),
      ].join('\n');
    },
  });
}
