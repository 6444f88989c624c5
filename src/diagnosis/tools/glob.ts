/** @module Path globs for `search_code`: `**`, `*`, `?` and `{a,b}`, compiled once to a RegExp. Pure. */

/**
 * Compiles a glob matched against a path relative to the codebase root (`/` separators):
 * - with no wildcard it is a path prefix: `src/orders` matches the directory and everything under it;
 * - with no `/` it matches the file name anywhere: `*.ts` is every TypeScript file;
 * - otherwise it matches the whole relative path: `src/**\/*.test.ts`.
 */
export function compileGlob(glob: string): (relativePath: string) => boolean {
  const trimmed = glob.trim().replace(/^\.\//, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return () => true;
  if (!/[*?{]/.test(trimmed)) {
    return (relative) => relative === trimmed || relative.startsWith(`${trimmed}/`);
  }
  const pattern = new RegExp(`^${translate(trimmed)}$`);
  if (!trimmed.includes('/')) return (relative) => pattern.test(relative.slice(relative.lastIndexOf('/') + 1));
  return (relative) => pattern.test(relative);
}

function translate(glob: string): string {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*' && glob.charAt(i + 1) === '*') {
      // `**/` is zero or more whole directories; a bare `**` is anything.
      if (glob.charAt(i + 2) === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
  }
  return out + ')'.repeat(braces);
}
