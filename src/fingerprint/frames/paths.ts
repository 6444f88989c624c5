/** @module Path normalisation shared by the frame parsers: separators, deploy-noise directories and app-root module paths. */

const BACKSLASH_RE = /\\/g;
const DIGITS_RE = /^\d+$/;
const HEX_RE = /^[0-9a-f]+$/i;
const HAS_DIGIT_RE = /\d/;
const VERSION_DIR_RE = /^v?\d+(?:\.\d+)+(?:[-+][\w.]+)?$/;
/** Directories a deploy tool adds in front of the code (`/var/www/shop/releases/20240115103000/...`). */
const DEPLOY_DIRS: ReadonlySet<string> = new Set(['releases', 'current']);

/** The path with Windows `\` separators turned into `/`; the same string when it has none. */
export function toForwardSlashes(file: string): string {
  return file.includes('\\') ? file.replace(BACKSLASH_RE, '/') : file;
}

/**
 * True for a directory segment that changes between deploys or carries no meaning: empty, `.`, `..`,
 * `releases` / `current`, release numbers, versions (`v1.2.3`, `2.0.1-rc1`) and commit hashes (7+ hex
 * characters with a digit).
 */
export function isNoiseDir(seg: string): boolean {
  if (seg === '' || seg === '.' || seg === '..' || DEPLOY_DIRS.has(seg)) return true;
  if (DIGITS_RE.test(seg) || VERSION_DIR_RE.test(seg)) return true;
  return seg.length >= 7 && HEX_RE.test(seg) && HAS_DIGIT_RE.test(seg);
}

/** Index of the LAST directory in `dirs` that is one of `roots`, or -1 when there is none. */
export function lastRootIndex(dirs: readonly string[], roots: ReadonlySet<string>): number {
  for (let i = dirs.length - 1; i >= 0; i--) {
    if (roots.has(dirs[i] ?? '')) return i;
  }
  return -1;
}

/**
 * Module from a `/`-separated app path: the directories after the last of `roots` (the parent directory
 * when there is none), noise directories removed, then the file name passed through `cleanFileName`.
 */
export function moduleAfterRoot(
  path: string,
  roots: ReadonlySet<string>,
  cleanFileName: (name: string) => string,
): string {
  const segments = path.split('/');
  const fileName = cleanFileName(segments[segments.length - 1] ?? '');
  const dirs = segments.slice(0, -1).filter((s) => !isNoiseDir(s));
  const root = lastRootIndex(dirs, roots);
  const kept = root === -1 ? dirs.slice(-1) : dirs.slice(root + 1);
  kept.push(fileName);
  return kept.join('/');
}
