/** @module Picks the codebase file a frame path names, by longest common path suffix. Pure. */
import type { FramePath } from './frame-path.js';

export type PathMatch =
  | { readonly kind: 'match'; readonly relativePath: string; readonly matchedSegments: number }
  /** Several files share the best suffix and nothing tells them apart: reported, never guessed. */
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[]; readonly matchedSegments: number }
  /** Only the file name matches, while the frame names directories that do not: probably another file. */
  | { readonly kind: 'weak'; readonly candidates: readonly string[] }
  | { readonly kind: 'none' };

/**
 * `candidates` are the codebase's files with the frame's file name. The one sharing the longest trailing run of
 * segments wins. On a tie, a candidate equal to the frame's prefix-stripped path wins (the codebase is laid out
 * as deployed); otherwise the match is ambiguous.
 */
export function matchFramePath(path: FramePath, candidates: readonly string[]): PathMatch {
  if (candidates.length === 0) return { kind: 'none' };
  let best = 0;
  let tied: string[] = [];
  for (const candidate of candidates) {
    const matched = commonSuffixLength(path.segments, candidate.split('/'));
    if (matched > best) {
      best = matched;
      tied = [candidate];
    } else if (matched === best) tied.push(candidate);
  }
  if (best === 0) return { kind: 'none' };
  if (best === 1 && path.relative.length > 1) return { kind: 'weak', candidates: [...tied].sort() };
  if (tied.length === 1) return { kind: 'match', relativePath: tied[0]!, matchedSegments: best };
  const exact = tied.filter((candidate) => candidate === path.relative.join('/'));
  if (exact.length === 1) return { kind: 'match', relativePath: exact[0]!, matchedSegments: best };
  return { kind: 'ambiguous', candidates: [...tied].sort(), matchedSegments: best };
}

function commonSuffixLength(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n += 1;
  return n;
}
