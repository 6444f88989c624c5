/** @module Finds the `claude` executable: the project's own dev/optional install first, then PATH. */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN_NAME = process.platform === 'win32' ? 'claude.exe' : 'claude';

export interface LocateOptions {
  /** Directories to search upwards for `node_modules/.bin/claude`; default: where this module is installed. */
  readonly searchFrom?: readonly string[];
  /** A PATH-style list of directories; default: the process's PATH. */
  readonly pathList?: string | undefined;
}

/** The absolute path of an executable `claude`, or undefined when none is installed. */
export function locateClaudeCli(options: LocateOptions = {}): string | undefined {
  const roots = options.searchFrom ?? [path.dirname(fileURLToPath(import.meta.url))];
  for (const root of roots) {
    for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', '.bin', BIN_NAME);
      if (isExecutable(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  const pathList = options.pathList ?? process.env.PATH ?? '';
  for (const dir of pathList.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, BIN_NAME);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
