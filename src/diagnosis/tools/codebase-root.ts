/**
 * @module Confinement of the code tools to one directory: every path a model names is resolved here, and anything
 * that would leave the root (`..`, an absolute path, a symlink pointing out) or that holds secrets is refused.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from './code-tool.js';

/** Directories the tools never enter: version control internals, dependencies and build output. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  '.git',
  'node_modules',
  'dist',
  'build',
  'coverage',
  '.next',
  '.nuxt',
  'target',
  '__pycache__',
  '.venv',
]);

/**
 * Files that hold credentials rather than code. The tools never read them, so a secret in one cannot reach a
 * model even if the redactor misses it. Templates (`.env.example`) are code documentation and stay readable.
 */
const SECRET_FILE = [
  /^\.env(\.(?!example$|sample$|template$|dist$)[^/]+)?$/i,
  /\.(pem|key|p12|pfx|jks|keystore|kdbx)$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/i,
  /^\.(npmrc|netrc|pypirc|git-credentials|pgpass)$/i,
];

export function isSecretFile(name: string): boolean {
  return SECRET_FILE.some((pattern) => pattern.test(name));
}

export interface ResolvedPath {
  /** Real absolute path, symlinks resolved. */
  readonly absolute: string;
  /** Path relative to the root, with `/` separators; `.` for the root itself. */
  readonly relative: string;
  readonly kind: 'file' | 'directory' | 'other';
  readonly sizeBytes: number;
}

export class CodebaseRoot {
  readonly #root: string;
  #real: Promise<string> | undefined;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  /** The real path of the root, resolved once; a missing root is a tool error, not a crash. */
  async real(): Promise<string> {
    this.#real ??= realpath(this.#root).catch(() => {
      this.#real = undefined;
      throw new ToolError(`the codebase root ${this.#root} does not exist or cannot be read`);
    });
    return this.#real;
  }

  /** Resolves a model-supplied path that must exist inside the root. */
  async resolve(requested: string): Promise<ResolvedPath> {
    const realRoot = await this.real();
    const cleaned = requested.trim() === '' ? '.' : requested.trim();
    if (cleaned.includes('\0')) throw new ToolError('the path contains a NUL byte');
    if (path.isAbsolute(cleaned) || /^[a-zA-Z]:[\\/]/.test(cleaned)) {
      throw new ToolError(
        `absolute paths are not allowed ("${cleaned}"): give a path relative to the codebase root, e.g. "src/app.ts"`,
      );
    }
    const lexical = path.resolve(realRoot, cleaned);
    if (!isInside(realRoot, lexical)) {
      throw new ToolError(`"${cleaned}" is outside the codebase: paths must stay inside the codebase root`);
    }
    let real: string;
    try {
      real = await realpath(lexical);
    } catch {
      throw new ToolError(`"${cleaned}" does not exist in the codebase`);
    }
    // A symlink inside the root may point anywhere; only its target counts.
    if (!isInside(realRoot, real)) {
      throw new ToolError(`"${cleaned}" is a link to a location outside the codebase, which the tools cannot read`);
    }
    const relative = toRelative(realRoot, real);
    const segments = relative.split('/');
    if (segments.includes('.git')) throw new ToolError(`"${cleaned}" is inside .git, which the tools do not read`);
    if (isSecretFile(segments.at(-1) ?? '')) {
      throw new ToolError(`"${cleaned}" may hold credentials (environment or key file), so the tools do not read it`);
    }
    const facts = await stat(real);
    const kind = facts.isFile() ? 'file' : facts.isDirectory() ? 'directory' : 'other';
    return { absolute: real, relative, kind, sizeBytes: facts.size };
  }
}

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export function toRelative(root: string, absolute: string): string {
  const relative = path.relative(root, absolute).split(path.sep).join('/');
  return relative === '' ? '.' : relative;
}
