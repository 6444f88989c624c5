/** @module The `read_file` tool: a numbered range of lines from one text file in the codebase. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type CodeTool, defineTool, ToolError } from './code-tool.js';
import type { CodebaseRoot } from './codebase-root.js';

export interface ReadFileLimits {
  /** Most lines one call returns. */
  readonly maxLines: number;
  /** Most characters one call returns, line numbers included. */
  readonly maxChars: number;
  /** Larger files are refused: they are generated or data, and reading them whole would be slow. */
  readonly maxFileBytes: number;
  /** Longer lines (minified code) are cut. */
  readonly maxLineChars: number;
}

export const READ_FILE_LIMITS: ReadFileLimits = {
  maxLines: 400,
  maxChars: 24_000,
  maxFileBytes: 4_000_000,
  maxLineChars: 500,
};

const input = z.object({
  path: z.string().min(1).max(1_000).describe('File path relative to the codebase root, e.g. "src/orders/service.ts".'),
  start_line: z.number().int().min(1).optional().describe('First line to return (1-based). Default 1.'),
  end_line: z.number().int().min(1).optional().describe('Last line to return (inclusive). Default: start_line + 199.'),
});

export function readFileTool(
  root: CodebaseRoot,
  redact: (text: string) => string,
  limits = READ_FILE_LIMITS,
): CodeTool {
  return defineTool({
    name: 'read_file',
    description:
      `Reads lines of a text file in the codebase, numbered. At most ${limits.maxLines} lines per call; ` +
      'ask for the range you need (e.g. 20 lines either side of a stack frame line).',
    input,
    // The lines, plus the header and the continuation note (both hold the path, at most 1000 characters).
    maxResultChars: limits.maxChars + 2_200,
    redact,
    async run({ path, start_line, end_line }) {
      const target = await root.resolve(path);
      if (target.kind !== 'file') throw new ToolError(`"${target.relative}" is not a file (use list_directory)`);
      if (target.sizeBytes > limits.maxFileBytes) {
        throw new ToolError(
          `"${target.relative}" is ${target.sizeBytes} bytes, over the ${limits.maxFileBytes}-byte limit: ` +
            'search it with search_code instead',
        );
      }
      const buffer = await readFile(target.absolute);
      if (buffer.subarray(0, 8_000).includes(0)) throw new ToolError(`"${target.relative}" is a binary file`);
      const lines = buffer.toString('utf8').split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop();
      const start = start_line ?? 1;
      if (start > Math.max(lines.length, 1)) {
        throw new ToolError(`"${target.relative}" has ${lines.length} lines; start_line ${start} is past the end`);
      }
      if (end_line !== undefined && end_line < start) throw new ToolError('end_line is before start_line');
      const wanted = Math.min(end_line ?? start + 199, lines.length);
      const last = Math.min(wanted, start + limits.maxLines - 1);
      return render(target.relative, lines, start, last, wanted, limits);
    },
  });
}

function render(
  relative: string,
  lines: readonly string[],
  start: number,
  last: number,
  wanted: number,
  limits: ReadFileLimits,
): string {
  const width = String(last).length;
  const body: string[] = [];
  let chars = 0;
  let shown = start - 1;
  for (let n = start; n <= last; n++) {
    const raw = lines[n - 1] ?? '';
    const text = raw.length > limits.maxLineChars ? `${raw.slice(0, limits.maxLineChars)}… (line cut)` : raw;
    const line = `${String(n).padStart(width)}| ${text}`;
    if (chars + line.length > limits.maxChars) break;
    body.push(line);
    chars += line.length + 1;
    shown = n;
  }
  const notes: string[] = [];
  if (shown < wanted) notes.push(`stopped at line ${shown} (output limit); ask for lines ${shown + 1}-${wanted} next`);
  const header = `${relative} (lines ${start}-${shown} of ${lines.length})`;
  return [header, ...body, ...notes.map((note) => `(${note})`)].join('\n');
}
