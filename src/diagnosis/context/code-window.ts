/** @module Cuts the lines around a frame's line out of a file, numbered, with the frame's lines marked. Pure. */

export interface CodeLine {
  readonly number: number;
  readonly text: string;
}

export interface CodeWindow {
  /** Contiguous lines, first to last. */
  readonly lines: readonly CodeLine[];
  readonly totalLines: number;
  /** The frame lines that fall inside the file; lines past its end are reported in `notes`. */
  readonly focusLines: readonly number[];
  readonly notes: readonly string[];
}

/** Minified or generated lines would eat the budget without telling the model anything. */
export const DEFAULT_MAX_LINE_CHARS = 240;

export function cutWindow(
  text: string,
  focusLines: readonly number[],
  radius: number,
  maxLineChars = DEFAULT_MAX_LINE_CHARS,
): CodeWindow {
  const all = text.split(/\r?\n/);
  if (all.length > 1 && all.at(-1) === '') all.pop();
  const totalLines = all.length;
  const notes: string[] = [];
  const inside = [...new Set(focusLines)]
    .filter((n) => Number.isInteger(n) && n >= 1 && n <= totalLines)
    .sort((a, b) => a - b);
  const outside = focusLines.filter((n) => !inside.includes(n));
  if (outside.length > 0) {
    // The deployed code differs from the codebase: worth saying, since it weakens every line-level claim.
    notes.push(
      `line ${outside.join(', ')} is past the end of the file (${totalLines} lines): the running code may differ from the codebase`,
    );
  }
  let first: number;
  let last: number;
  if (inside.length > 0) {
    first = Math.max(1, inside[0]! - radius);
    last = Math.min(totalLines, inside.at(-1)! + radius);
  } else {
    if (focusLines.length === 0) notes.push('the frame has no line number: showing the start of the file');
    first = outside.length > 0 ? Math.max(1, totalLines - radius) : 1;
    last = outside.length > 0 ? totalLines : Math.min(totalLines, 2 * radius + 1);
  }
  const lines: CodeLine[] = [];
  for (let n = first; n <= last; n += 1) lines.push({ number: n, text: clip(all[n - 1] ?? '', maxLineChars) });
  return { lines, totalLines, focusLines: inside, notes };
}

/** Groups frame lines whose windows would overlap, so one file region is shown once with every frame marked. */
export function clusterLines(lines: readonly number[], radius: number): number[][] {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const clusters: number[][] = [];
  for (const line of sorted) {
    const current = clusters.at(-1);
    if (current && line - current.at(-1)! <= 2 * radius + 1) current.push(line);
    else clusters.push([line]);
  }
  return clusters;
}

function clip(line: string, max: number): string {
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
