/** @module Python traceback support: parsing `traceback.format_exception` output, grouping keys and in-app classification. */
import type { StackFrame } from '../../domain/index.js';
import type { ParsedException, ParsedTrace, RawFrame, RuntimeSupport } from './types.js';

/*
 * Module-from-path rule (what `frame.module` and the grouping key use):
 *  1. Backslashes become slashes and a Windows drive letter is dropped.
 *  2. Pseudo files keep their printed name (`<string>`), except `<frozen X>` which becomes `X`.
 *  3. Anything after the last `/site-packages/` or `/dist-packages/` is a dependency's import path.
 *  4. Anything after `/lib/pythonX.Y/` (or Windows `/PythonXY/Lib/`) is a stdlib import path.
 *  5. Otherwise the longest recognised deployment root is stripped (`/app/`, `/usr/src/<x>/`, `/srv/<x>/[current/]`,
 *     `<anything>/releases/<x>/`, `/home/<u>/<project>/`, `/Users/<u>/<project>/`, `/opt/<x>/`, `/var/www/<x>/`,
 *     `/var/task/`, `/code/`, `/workspace/`, ...). With no recognised root, an absolute path keeps only its last
 *     three segments; a relative path is kept whole.
 *  6. A leading `src/` is dropped (src layout imports without it), then the extension and a trailing `__init__`
 *     are dropped and `/` becomes `.`.
 * So `/srv/app/releases/20240101/app/services/user.py`, `/home/u/proj/app/services/user.py`,
 * `/app/app/services/user.py` and `/usr/src/app/app/services/user.py` are all `app.services.user`.
 *
 * Grouping key: `<module>:<function>`; Python prints no per-build numbering in function names, so only the path
 * needs normalising.
 */

const TRACEBACK_MARK = 'Traceback (most recent call last):';
const GROUP_HEADER = 'Exception Group Traceback (most recent call last):';
const CAUSE_MARKER = 'The above exception was the direct cause of the following exception:';
const CONTEXT_MARKER = 'During handling of the above exception, another exception occurred:';

/** Frame lines are bounded by a path and a function name; anything longer is garbage and not worth a regex. */
const MAX_FRAME_LINE = 4096;
const MAX_MESSAGE_CHARS = 8192;
const MAX_MESSAGE_LINES = 100;
const DETECT_WINDOW = 65_536;
const PATH_CACHE_LIMIT = 10_000;

const LINE_SPLIT_RE = /\r?\n/;
const FRAME_RE = /^\s*File "(.+?)", line (\d+)(?:, in (.+?))?\s*$/;
const EXCEPTION_RE = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::\s?(.*))?$/;
const GROUP_TOP_RE = /^( *)\+ Exception Group Traceback/;
const LOG_RECORD_RE = /^(?:\[?\d{4}-\d\d-\d\d[ T]\d|(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)[: ])/;
const STDLIB_RE = /\/lib\/python\d+(?:\.\d+)?t?\/|\/python\d+\/lib\//i;
const DRIVE_RE = /^[A-Za-z]:(?=\/)/;
const SCRIPT_DIR_RE = /\/bin\/[^/.]+$/;
const EXTENSION_RE = /\.(?:py[cwxi]?|so)$/;

/** Deployment roots; the longest match wins so `/srv/app/releases/<ts>/` beats `/srv/app/`. */
const APP_ROOTS: readonly RegExp[] = [
  /^.*\/releases\/[^/]+\//,
  /^\/srv\/[^/]+\/(?:current\/)?/,
  /^\/app\//,
  /^\/usr\/src\/[^/]+\//,
  /^\/home\/[^/]+\/[^/]+\//,
  /^\/Users\/[^/]+\/[^/]+\//,
  /^\/root\/[^/]+\//,
  /^\/opt\/[^/]+\//,
  /^\/var\/www\/[^/]+\//,
  /^\/var\/app\/current\//,
  /^\/var\/task\//,
  /^\/code\//,
  /^\/workspace\//,
  /^\/workspaces\/[^/]+\//,
  /^\/project\//,
  /^\/src\//,
];

/** Pseudo files that hold user-typed code; every other `<...>` file is generated or frozen runtime code. */
const USER_PSEUDO_FILES = new Set(['<stdin>', '<console>']);

interface PathInfo {
  module: string;
  library: boolean;
}

// Paths repeat across events far more than they vary, so classification is memoised (bounded, reset when full).
const pathCache = new Map<string, PathInfo>();

function classifyPath(file: string): PathInfo {
  const cached = pathCache.get(file);
  if (cached !== undefined) return cached;
  const info = computePathInfo(file);
  if (pathCache.size >= PATH_CACHE_LIMIT) pathCache.clear();
  pathCache.set(file, info);
  return info;
}

function computePathInfo(file: string): PathInfo {
  if (file.startsWith('<')) {
    if (file.startsWith('<frozen ') && file.endsWith('>')) return { module: file.slice(8, -1), library: true };
    return { module: file, library: !USER_PSEUDO_FILES.has(file) && !file.startsWith('<ipython-input') };
  }
  const path = file.replace(/\\/g, '/').replace(DRIVE_RE, '');
  const packagesAt = Math.max(path.lastIndexOf('/site-packages/'), path.lastIndexOf('/dist-packages/'));
  if (packagesAt >= 0) return { module: toDotted(path.slice(packagesAt + 15)), library: true };
  const stdlib = STDLIB_RE.exec(path);
  if (stdlib !== null) return { module: toDotted(path.slice(stdlib.index + stdlib[0].length)), library: true };
  if (SCRIPT_DIR_RE.test(path)) return { module: path.slice(path.lastIndexOf('/') + 1), library: true };
  return { module: toDotted(appRelativePath(path)), library: false };
}

function appRelativePath(path: string): string {
  if (!path.startsWith('/')) return path.startsWith('./') ? path.slice(2) : path;
  let longest = 0;
  for (const root of APP_ROOTS) {
    const m = root.exec(path);
    if (m !== null && m[0].length > longest) longest = m[0].length;
  }
  if (longest > 0) return path.slice(longest);
  const segments = path.split('/').filter((s) => s.length > 0);
  return segments.slice(-3).join('/');
}

function toDotted(relative: string): string {
  let rel = relative.startsWith('src/') ? relative.slice(4) : relative;
  rel = rel.replace(EXTENSION_RE, '');
  if (rel.endsWith('/__init__')) rel = rel.slice(0, -9);
  return rel.split('/').join('.');
}

function isMarker(line: string): boolean {
  const c = line.charCodeAt(0);
  // 'T' or 'D': cheap pre-check before comparing the full sentences.
  if (c !== 84 && c !== 68) return false;
  const trimmed = line.trimEnd();
  return trimmed === CAUSE_MARKER || trimmed === CONTEXT_MARKER;
}

function isHeader(line: string): boolean {
  let k = 0;
  while (k < line.length && (line.charCodeAt(k) === 32 || line.charCodeAt(k) === 9)) k++;
  const c = line.charCodeAt(k);
  // 'T' or 'E': most lines are rejected here without allocating a trimmed copy.
  if (c !== 84 && c !== 69) return false;
  const mark = c === 84 ? TRACEBACK_MARK : GROUP_HEADER;
  return line.startsWith(mark, k) && line.trimEnd().length === k + mark.length;
}

/**
 * Flattens a 3.11+ exception-group rendering: the top-level group's own `| `-prefixed lines become plain lines,
 * while sub-exceptions (deeper margins) are dropped, since they are siblings rather than causes.
 */
function flattenTopGroup(lines: string[]): string[] {
  let topIndent = -1;
  for (const line of lines) {
    const m = GROUP_TOP_RE.exec(line);
    if (m !== null) {
      topIndent = m[1]!.length;
      break;
    }
  }
  if (topIndent < 0) return lines;
  const out: string[] = [];
  for (const line of lines) {
    let k = 0;
    while (k < line.length && line.charCodeAt(k) === 32) k++;
    const c = line[k];
    if (c !== '|' && c !== '+') {
      out.push(line);
    } else if (k > topIndent) {
      // A sub-exception's margin: not part of the top group's chain.
    } else if (k === topIndent && (c === '|' || line.startsWith('+ Exception Group Traceback', k))) {
      out.push(line.slice(k + 2));
    } else if (k < topIndent) {
      out.push(line);
    }
  }
  return out;
}

function toFrame(file: string, line: number, fn: string | undefined): StackFrame {
  const info = classifyPath(file);
  const frame: StackFrame = { module: info.module, file, line, inApp: !info.library };
  if (fn !== undefined) frame.function = fn;
  return frame;
}

function readMessage(first: string, lines: string[], from: number, end: number): string {
  let message = first;
  let last = from;
  const limit = Math.min(end, from + MAX_MESSAGE_LINES);
  for (let i = from; i < limit; i++) {
    const line = lines[i]!;
    // A new traceback or the next log record ends the message; neither belongs to it.
    if (isHeader(line) || LOG_RECORD_RE.test(line)) break;
    if (line.trim().length > 0) {
      for (let j = last; j <= i; j++) message += `\n${lines[j]!}`;
      last = i + 1;
    }
    if (message.length > MAX_MESSAGE_CHARS) break;
  }
  return message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
}

function exceptionFromLine(line: string, lines: string[], next: number, end: number): ParsedException {
  const m = line.length <= MAX_MESSAGE_CHARS ? EXCEPTION_RE.exec(line) : null;
  if (m === null) return { type: '', message: readMessage(line, lines, next, end), frames: [] };
  return { type: m[1]!, message: readMessage(m[2] ?? '', lines, next, end), frames: [] };
}

/** One printed exception: `[Traceback header, frames,] Type: message [continuation lines]`. */
function parseBlock(lines: string[], start: number, end: number): ParsedException | undefined {
  let header = -1;
  for (let i = start; i < end; i++) {
    if (isHeader(lines[i]!)) {
      header = i;
      break;
    }
  }
  if (header < 0) {
    // A chained exception that was never raised is printed without a traceback: just its `Type: message` line.
    for (let i = start; i < end; i++) {
      const line = lines[i]!;
      if (line.length > MAX_MESSAGE_CHARS) continue;
      const m = EXCEPTION_RE.exec(line);
      if (m !== null) return { type: m[1]!, message: readMessage(m[2] ?? '', lines, i + 1, end), frames: [] };
    }
    return undefined;
  }
  const frames: StackFrame[] = [];
  let i = header + 1;
  for (; i < end; i++) {
    const line = lines[i]!;
    const m = line.length <= MAX_FRAME_LINE ? FRAME_RE.exec(line) : null;
    if (m !== null) {
      frames.push(toFrame(m[1]!, Number(m[2]), m[3]));
      continue;
    }
    // Source lines, 3.11+ caret/tilde lines and `[Previous line repeated N more times]` are all indented.
    if (line.length === 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) continue;
    break;
  }
  if (i >= end) return frames.length > 0 ? { type: '', message: '', frames } : undefined;
  const ex = exceptionFromLine(lines[i]!, lines, i + 1, end);
  ex.frames = frames;
  return ex;
}

function parse(text: string): ParsedTrace | undefined {
  try {
    if (!text.includes(TRACEBACK_MARK)) return undefined;
    const split = text.includes('\r') ? text.split(LINE_SPLIT_RE) : text.split('\n');
    const lines = text.includes('Exception Group Traceback') ? flattenTopGroup(split) : split;
    const printed: ParsedException[] = [];
    let sawHeader = false;
    let blockStart = 0;
    for (let i = 0; i <= lines.length; i++) {
      if (i < lines.length && !isMarker(lines[i]!)) continue;
      for (let j = blockStart; j < i && !sawHeader; j++) sawHeader = isHeader(lines[j]!);
      const ex = parseBlock(lines, blockStart, i);
      if (ex !== undefined) printed.push(ex);
      blockStart = i + 1;
    }
    // Python omits the header when there are no frames, so a header without any frame is another format.
    if (!sawHeader || !printed.some((e) => e.frames.length > 0)) return undefined;
    // Python prints the oldest cause first and the exception that escaped last.
    printed.reverse();
    return { language: 'python', exceptions: printed };
  } catch {
    return undefined;
  }
}

function detect(text: string): number {
  const window = text.length > DETECT_WINDOW ? text.slice(0, DETECT_WINDOW) : text;
  const hasFrame = window.includes('File "') && window.includes('", line ');
  // Ruby 2.5-2.7 also prints "Traceback (most recent call last):", so the header alone is weak evidence.
  if (window.includes(TRACEBACK_MARK)) return hasFrame ? 0.95 : 0.2;
  return hasFrame ? 0.6 : 0;
}

function moduleOf(frame: RawFrame): string | undefined {
  if (frame.module !== undefined && frame.module.length > 0) return frame.module;
  return frame.file === undefined ? undefined : classifyPath(frame.file).module;
}

export const python: RuntimeSupport = {
  language: 'python',
  detect,
  parse,
  groupingKey(frame: RawFrame): string {
    return `${moduleOf(frame) ?? '?'}:${frame.function ?? '?'}`;
  },
  isLibraryFrame(frame: RawFrame): boolean {
    if (frame.file !== undefined) return classifyPath(frame.file).library;
    return frame.module?.startsWith('importlib._bootstrap') ?? false;
  },
};
