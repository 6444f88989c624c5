/** @module Node.js / V8 stack traces: `err.stack` and `util.inspect(err)` text, in-app rules and grouping keys. */
import type { StackFrame } from '../../domain/index.js';
import { isNoiseDir as isDeployNoiseDir, lastRootIndex, toForwardSlashes } from './paths.js';
import type { ParsedException, ParsedTrace, RawFrame, RuntimeSupport } from './types.js';

// Bounds keep one pathological event (a whole log file pasted into exception.stacktrace) from stalling the
// pipeline; past them the parse is partial rather than slow.
const MAX_INPUT_CHARS = 512 * 1024;
const MAX_LINE_CHARS = 4096;
const MAX_FRAMES = 1000;
const MAX_EXCEPTIONS = 32;
const MAX_MESSAGE_CHARS = 8192;
const MAX_PREAMBLE_LINES = 200;
const DETECT_WINDOW_CHARS = 8192;
const DETECT_MAX_LINES = 120;

const CR_RE = /\r\n?/g;
const ERROR_NAME_RE = /^[A-Za-z_$][\w$.]*(?: \[[^\]]{1,100}\])?$/;
// A bare name with no `: message` is only a header when it is unmistakably an error class name.
const ERRORISH_NAME_RE = /(?:Error|Exception)(?: \[[^\]]*\])?$/;
const DIGITS_RE = /^\d+$/;
const INDEX_LOCATION_RE = /^index \d+$/;
const AS_ALIAS_RE = / \[as [^\]]*\]$/;
const SOURCE_EXT_RE = /\.[cm]?[jt]sx?$/;
const HEX_RE = /^[0-9a-f]+$/i;
const BASE64URL8_RE = /^[A-Za-z0-9_-]{8}$/;
const HAS_DIGIT_RE = /\d/;
const HAS_UPPER_RE = /[A-Z]/;
const HAS_LOWER_RE = /[a-z]/;
const DRIVE_RE = /^[A-Za-z]:$/;
// util.inspect prints an error's own properties (`code: 'P2002',`, `[errors]: [`) after its stack.
const PROPERTY_LINE_RE = /^(?:[\w$]+|\[[\w$ ]+\]|'[^']*'): /;
const CAUSED_BY_RE = /^caused by: /i;
const EMITTED_PREFIX = "Emitted 'error' event";

const SCHEME_PREFIXES = ['file://', 'webpack-internal:///', 'webpack:///', 'webpack://'];
/**
 * Directories after which the project-relative module path starts. The LAST one in a path wins, so
 * `/srv/app/releases/42/dist/services/user.js`, `/app/dist/services/user.js` and `/app/src/services/user.ts`
 * all become `services/user`.
 */
const ROOT_DIRS = new Set([
  'src',
  'lib',
  'dist',
  'build',
  'out',
  'app',
  '.next',
  '.nuxt',
  '.output',
  '.svelte-kit',
  '.vercel',
  '.netlify',
]);
// `.next/server/pages/x.js` mirrors `src/pages/x.ts`, so the bundler's own top folder is skipped too.
const BUNDLER_SUBDIRS = new Set(['server', 'static']);

interface V8Frame {
  fn?: string;
  file?: string;
  line?: number;
  column?: number;
}

interface Header {
  type: string;
  message: string;
}

interface ExceptionBuilder {
  type: string;
  messageLines: string[];
  frames: V8Frame[];
  /** True until the exception's first frame: non-frame lines until then continue its message. */
  inMessage: boolean;
}

function matchingOpenParen(s: string): number {
  let depth = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c === 41 /* ) */) depth++;
    else if (c === 40 /* ( */) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function parseFileLineColumn(s: string): V8Frame | undefined {
  const c2 = s.lastIndexOf(':');
  if (c2 <= 0) return undefined;
  const last = s.slice(c2 + 1);
  if (!DIGITS_RE.test(last)) return undefined;
  const c1 = s.lastIndexOf(':', c2 - 1);
  if (c1 <= 0) return undefined;
  const mid = s.slice(c1 + 1, c2);
  // V8 always prints line AND column; requiring both keeps Java/PHP `(File.java:42)` frames out.
  if (!DIGITS_RE.test(mid)) return undefined;
  return { file: s.slice(0, c1), line: Number(mid), column: Number(last) };
}

function parseLocation(loc: string): V8Frame | undefined {
  if (loc === 'native' || loc === '<anonymous>' || loc === 'unknown location' || INDEX_LOCATION_RE.test(loc)) {
    return {};
  }
  if (loc.startsWith('eval at ')) {
    // `eval at fn (origin:1:2), <anonymous>:3:4`: the innermost parenthesised origin is the real source.
    const close = loc.indexOf(')');
    const open = close === -1 ? -1 : loc.lastIndexOf('(', close);
    if (open === -1) return {};
    return parseFileLineColumn(loc.slice(open + 1, close)) ?? {};
  }
  return parseFileLineColumn(loc);
}

function parseFrameLine(raw: string): V8Frame | undefined {
  if (raw.length > MAX_LINE_CHARS) return undefined;
  let s = raw.trim();
  if (!s.startsWith('at ')) return undefined;
  s = s.slice(3);
  // util.inspect opens the property block (`{`) or separates array items (`,`) on the last frame line.
  if (s.endsWith(' {')) s = s.slice(0, -2).trimEnd();
  else if (s.endsWith(',')) s = s.slice(0, -1);
  let fn: string | undefined;
  let loc = s;
  if (s.endsWith(')')) {
    const open = matchingOpenParen(s);
    if (open === -1) return undefined;
    if (open > 0) fn = s.slice(0, open).trim();
    loc = s.slice(open + 1, -1);
  }
  if (loc.startsWith('async ')) loc = loc.slice(6);
  const where = parseLocation(loc);
  if (!where) return undefined;
  if (fn?.startsWith('async ')) fn = fn.slice(6);
  if (fn) where.fn = fn;
  return where;
}

function parseHeader(line: string): Header | undefined {
  let s = line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line;
  if (s.startsWith('Uncaught ')) s = s.slice(9);
  const colon = s.indexOf(': ');
  let name: string;
  if (colon !== -1) name = s.slice(0, colon);
  else name = s.endsWith(':') ? s.slice(0, -1) : s;
  if (name.length === 0 || name.length > 200 || !ERROR_NAME_RE.test(name)) return undefined;
  if (colon === -1 && !ERRORISH_NAME_RE.test(name)) return undefined;
  return { type: name, message: colon === -1 ? '' : s.slice(colon + 2) };
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  return i;
}

function isHashToken(t: string): boolean {
  if (t.length < 6 || !HAS_DIGIT_RE.test(t)) return false;
  if (HEX_RE.test(t)) return true;
  // Vite/Rollup content hashes: 8 base64url characters of mixed case.
  return BASE64URL8_RE.test(t) && HAS_UPPER_RE.test(t) && HAS_LOWER_RE.test(t);
}

/** Deploy noise (see paths.isNoiseDir) plus Windows drive letters (`C:`). */
function isNoiseDir(seg: string): boolean {
  return isDeployNoiseDir(seg) || DRIVE_RE.test(seg);
}

function cleanFileName(name: string): string {
  const base = name.replace(SOURCE_EXT_RE, '');
  const parts = base.split('.');
  let out = parts.filter((p, i) => i === 0 || !isHashToken(p)).join('.');
  const dash = out.lastIndexOf('-');
  if (dash > 0 && isHashToken(out.slice(dash + 1))) out = out.slice(0, dash);
  return out;
}

/**
 * Module from a file path. Dependencies become `<package>/<path in package>`, builtins `node:<name>`; app
 * files become the path after the last recognised root directory (ROOT_DIRS), or the parent directory plus
 * file name when there is none, with deploy noise (release numbers, versions, commit hashes), bundler
 * content hashes, query strings and the source extension removed.
 */
function moduleFromPathUncached(file: string): string {
  let p = toForwardSlashes(file);
  const query = p.indexOf('?');
  if (query !== -1) p = p.slice(0, query);
  for (const prefix of SCHEME_PREFIXES) {
    if (p.startsWith(prefix)) {
      p = p.slice(prefix.length);
      break;
    }
  }
  if (p.startsWith('node:')) return `node:${p.slice(5).replace(SOURCE_EXT_RE, '')}`;
  if (p.startsWith('internal/')) return `node:${p.replace(SOURCE_EXT_RE, '')}`;
  const nm = p.lastIndexOf('node_modules/');
  if (nm !== -1) return p.slice(nm + 13).replace(SOURCE_EXT_RE, '');
  const segments = p.split('/');
  const fileName = cleanFileName(segments[segments.length - 1] ?? '');
  const dirs = segments.slice(0, -1).filter((s) => !isNoiseDir(s));
  const root = lastRootIndex(dirs, ROOT_DIRS);
  let kept: string[];
  if (root === -1) {
    kept = dirs.slice(-1);
  } else {
    let start = root + 1;
    if (dirs[root]?.startsWith('.') && BUNDLER_SUBDIRS.has(dirs[start] ?? '')) start++;
    kept = dirs.slice(start);
  }
  kept.push(fileName);
  return kept.join('/');
}

// Paths and names repeat across events (same code, same deploy), so memoising the normalisation keeps
// the per-event cost near a hash lookup. Cleared wholesale when full: cheap and bounded.
const CACHE_LIMIT = 8192;
const moduleFromPathCache = new Map<string, string>();

function moduleFromPath(value: string): string {
  let hit = moduleFromPathCache.get(value);
  if (hit === undefined) {
    hit = moduleFromPathUncached(value);
    if (moduleFromPathCache.size >= CACHE_LIMIT) moduleFromPathCache.clear();
    moduleFromPathCache.set(value, hit);
  }
  return hit;
}

function isLibraryPath(p: string): boolean {
  return (
    p.includes('node_modules/') ||
    p.includes('node_modules\\') ||
    p.startsWith('node:') ||
    p.startsWith('internal/') ||
    p === 'native' ||
    p === '<anonymous>' ||
    p.includes('webpack/bootstrap') ||
    p.includes('webpack/runtime/') ||
    p.endsWith('/webpack-runtime.js')
  );
}

function isLibraryFrame(frame: RawFrame): boolean {
  if (frame.file) return isLibraryPath(frame.file);
  // No file: `native`, `<anonymous>`, `index N` (Promise combinators) are all engine internals.
  return frame.module === undefined || isLibraryPath(frame.module);
}

function normaliseFunction(fn: string | undefined): string {
  if (!fn) return '<anonymous>';
  const f = fn.startsWith('async ') ? fn.slice(6) : fn;
  return f.replace(AS_ALIAS_RE, '');
}

function groupingKey(frame: RawFrame): string {
  const mod = frame.file ? moduleFromPath(frame.file) : (frame.module ?? '');
  return `${mod}:${normaliseFunction(frame.function)}`;
}

function toStackFrame(f: V8Frame): StackFrame {
  // One object, filled in place: this runs for every frame of every event.
  const raw: StackFrame = { inApp: false };
  if (f.file !== undefined) raw.module = moduleFromPath(f.file);
  if (f.fn !== undefined) raw.function = f.fn;
  if (f.file !== undefined) raw.file = f.file;
  if (f.line !== undefined) raw.line = f.line;
  if (f.column !== undefined) raw.column = f.column;
  raw.inApp = !isLibraryFrame(raw);
  return raw;
}

function finish(b: ExceptionBuilder): ParsedException {
  let message = b.messageLines.join('\n').trim();
  if (message.length > MAX_MESSAGE_CHARS) message = message.slice(0, MAX_MESSAGE_CHARS);
  const frames: StackFrame[] = [];
  for (let i = b.frames.length - 1; i >= 0; i--) {
    const f = b.frames[i];
    if (f) frames.push(toStackFrame(f));
  }
  return { type: b.type, message, frames };
}

function builderFromPreamble(preamble: string[]): ExceptionBuilder {
  // Node's uncaught-exception output prints the source line and a caret before the header, so the header
  // is the first line that looks like one, not simply the first line.
  for (let i = 0; i < preamble.length; i++) {
    const line = preamble[i] ?? '';
    const h = parseHeader(line);
    if (h) {
      const rest = preamble.slice(i + 1).map((l) => l.trimEnd());
      return { type: h.type, messageLines: [h.message, ...rest], frames: [], inMessage: false };
    }
  }
  return { type: '', messageLines: preamble.map((l) => l.trim()), frames: [], inMessage: false };
}

function causeHeader(trimmed: string): Header | undefined {
  let rest: string;
  if (trimmed.startsWith('[cause]: ')) rest = trimmed.slice(9);
  else if (CAUSED_BY_RE.test(trimmed)) rest = trimmed.slice(11);
  else return undefined;
  // An error without a stack is inspected as `[Error: message]`, possibly followed by ` { props }`.
  if (rest.startsWith('[')) {
    const end = rest.lastIndexOf(']');
    if (end > 0) rest = rest.slice(1, end);
  }
  if (rest.endsWith(' {')) rest = rest.slice(0, -2);
  return parseHeader(rest);
}

function parseTrace(text: string): ParsedTrace | undefined {
  const input = text.length > MAX_INPUT_CHARS ? text.slice(0, MAX_INPUT_CHARS) : text;
  const lines = (input.includes('\r') ? input.replace(CR_RE, '\n') : input).split('\n');
  const exceptions: ParsedException[] = [];
  let cur: ExceptionBuilder | undefined;
  let frameCount = 0;
  let skipIndent = -1;
  let detached = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (skipIndent !== -1) {
      // Inside an AggregateError's `[errors]: [ ... ]`: sibling errors, not part of the cause chain.
      const t = line.trimStart();
      if (t.startsWith(']') && indentOf(line) <= skipIndent) skipIndent = -1;
      continue;
    }
    const frame = parseFrameLine(line);
    if (frame) {
      if (detached) continue;
      if (!cur) cur = builderFromPreamble(lines.slice(Math.max(0, i - MAX_PREAMBLE_LINES), i));
      cur.inMessage = false;
      if (frameCount < MAX_FRAMES) {
        cur.frames.push(frame);
        frameCount++;
      }
      continue;
    }
    if (!cur) continue;
    const t = line.trim();
    if (t.startsWith(EMITTED_PREFIX)) {
      // Node's fatal `'error'` event report appends where the event was emitted: not the error's stack.
      detached = true;
      continue;
    }
    if (t.startsWith('[errors]: [') && !t.endsWith(']')) {
      skipIndent = indentOf(line);
      continue;
    }
    const cause = causeHeader(t);
    if (cause) {
      exceptions.push(finish(cur));
      if (exceptions.length >= MAX_EXCEPTIONS) {
        cur = undefined;
        break;
      }
      cur = { type: cause.type, messageLines: [cause.message], frames: [], inMessage: true };
      detached = false;
      continue;
    }
    if (cur.inMessage && t !== '' && !PROPERTY_LINE_RE.test(t) && t !== '{' && !t.startsWith('}')) {
      cur.messageLines.push(t);
    }
  }
  if (cur) exceptions.push(finish(cur));
  if (exceptions.length === 0) return undefined;
  return { language: 'node', exceptions };
}

function detect(text: string): number {
  const window = text.length > DETECT_WINDOW_CHARS ? text.slice(0, DETECT_WINDOW_CHARS) : text;
  if (!window.includes('at ')) return 0;
  const lines = window.split('\n', DETECT_MAX_LINES);
  let located = 0;
  let bare = 0;
  for (const line of lines) {
    if (!line.trimStart().startsWith('at ')) continue;
    const f = parseFrameLine(line);
    if (!f) continue;
    if (f.line !== undefined) located++;
    else bare++;
  }
  if (located === 0) return bare > 0 ? 0.3 : 0;
  let score = 0.6 + 0.1 * Math.min(located, 3);
  const first = lines.find((l) => l.trim() !== '');
  if (first !== undefined && parseHeader(first)) score += 0.05;
  return Math.min(score, 0.95);
}

export const node: RuntimeSupport = {
  language: 'node',
  detect(text: string): number {
    try {
      return detect(text);
    } catch {
      return 0;
    }
  },
  parse(text: string): ParsedTrace | undefined {
    try {
      return parseTrace(text);
    } catch {
      return undefined;
    }
  },
  groupingKey,
  isLibraryFrame,
};
