/** @module Version order: decides whether an occurrence comes from a release at or after the one a fix shipped in. */

interface ParsedVersion {
  readonly core: readonly number[];
  /** Dot-separated pre-release identifiers; empty for a release. */
  readonly pre: readonly string[];
}

// `v1.4.2`, `1.4`, `2.0.0-rc.1`, `1.4.2+build.7` (build metadata never orders, per SemVer).
const VERSION = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parse(version: string): ParsedVersion | undefined {
  const match = VERSION.exec(version.trim());
  if (!match?.[1]) return undefined;
  return { core: match[1].split('.').map(Number), pre: match[2] ? match[2].split('.') : [] };
}

function comparePre(a: readonly string[], b: readonly string[]): number {
  // A release sorts after any of its pre-releases.
  if (a.length === 0 || b.length === 0) return a.length === 0 ? (b.length === 0 ? 0 : 1) : -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const xNum = /^\d+$/.test(x);
    const yNum = /^\d+$/.test(y);
    if (xNum && yNum) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return Math.sign(diff);
    } else if (xNum !== yNum) {
      return xNum ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/**
 * Compares two version strings that look like SemVer (missing parts count as 0: `1.4` = `1.4.0`). Returns
 * undefined when either is not such a version (a git SHA, a date tag), so callers can fall back to the order
 * versions were first seen in.
 */
export function compareVersions(a: string, b: string): number | undefined {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return undefined;
  for (let i = 0; i < Math.max(x.core.length, y.core.length); i++) {
    const diff = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return comparePre(x.pre, y.pre);
}

/**
 * Whether an occurrence in `version` happened at or after the release `fixedIn`.
 *
 * SemVer-like versions compare numerically. Others (commit SHAs, build ids) compare by the order the signature
 * first saw them (`seenInOrder`, oldest first): a version seen before the fix's version is older; one never seen
 * before the fix's version, or the fix's version itself, is not older. An occurrence with no version cannot be
 * proved old, so it counts as at-or-after: hiding a real regression costs more than a spurious one.
 */
export function isAtOrAfter(version: string | undefined, fixedIn: string, seenInOrder: readonly string[]): boolean {
  if (version === undefined || version === fixedIn) return true;
  const order = compareVersions(version, fixedIn);
  if (order !== undefined) return order >= 0;
  const at = seenInOrder.indexOf(version);
  const fixAt = seenInOrder.indexOf(fixedIn);
  if (at === -1) return true;
  if (fixAt === -1) return false;
  return at >= fixAt;
}
