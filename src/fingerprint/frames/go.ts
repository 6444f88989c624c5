/** @module Go stack traces: panics, fatal errors, goroutine dumps and pkg/errors `%+v` output. */
import type { StackFrame } from '../../domain/index.js';
import { toForwardSlashes } from './paths.js';
import type { ParsedException, ParsedTrace, RawFrame, RuntimeSupport } from './types.js';

// Bounds keep one pathological event from stalling the pipeline; past them the parse is partial.
const MAX_INPUT_CHARS = 512 * 1024;
const MAX_LINE_CHARS = 4096;
const MAX_FRAMES = 1000;
const MAX_EXCEPTIONS = 32;
const MAX_MESSAGE_CHARS = 8192;
const DETECT_WINDOW_CHARS = 8192;
const DETECT_MAX_LINES = 200;

const CR_RE = /\r\n?/g;
const GOROUTINE_RE = /^goroutine \d+(?: [^[\]]*)?\[[^\]]*\]:$/;
const DIGITS_RE = /^\d+$/;
const WHITESPACE_RE = /\s/;
const RECOVERED_RE = / \[recovered(?:, repanicked)?\]$/;
const ESCAPED_DOT_RE = /%2e/gi;
// Closure and wrapper ordinals shift whenever a closure is added above them in the same function.
const CLOSURE_ORDINAL_RE = /\.(func|gowrap|deferwrap)\d+/g;
const NESTED_CLOSURE_RE = /\.\d+(?=\.|$)/g;
const INIT_ORDINAL_RE = /(^|\.)init\.\d+/g;
const MODULE_VERSION_RE = /@v\d/;
// GOROOT is wherever Go was installed; the stdlib package right after its `src/` tells it apart from a
// GOPATH checkout such as `/go/src/github.com/acme/app`.
const GOROOT_SRC_RE = /\/(?:go|go-[\d.]+|go[\d.]+|libexec)\/src\/([a-z0-9]+)\//i;

/** First elements of standard-library import paths (`net/http` -> `net`). */
const STDLIB_ROOTS = new Set([
  'archive',
  'bufio',
  'builtin',
  'bytes',
  'cmp',
  'compress',
  'container',
  'context',
  'crypto',
  'database',
  'debug',
  'embed',
  'encoding',
  'errors',
  'expvar',
  'flag',
  'fmt',
  'go',
  'hash',
  'html',
  'image',
  'index',
  'internal',
  'io',
  'iter',
  'log',
  'maps',
  'math',
  'mime',
  'net',
  'os',
  'path',
  'plugin',
  'reflect',
  'regexp',
  'runtime',
  'slices',
  'sort',
  'strconv',
  'strings',
  'structs',
  'sync',
  'syscall',
  'testing',
  'text',
  'time',
  'unicode',
  'unique',
  'unsafe',
  'vendor',
  'weak',
]);

interface GoFrame {
  module?: string;
  fn: string;
  file: string;
  line: number;
}

interface Panic {
  type: string;
  message: string;
}

interface Section {
  header: string[];
  frames: GoFrame[];
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

/** `github.com/acme/svc.(*T).M` -> package `github.com/acme/svc`, function `(*T).M`. */
function splitSymbol(name: string): { module?: string; fn: string } {
  let prefixEnd = name.length;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '(' || c === '[') {
      prefixEnd = i;
      break;
    }
  }
  const slash = name.lastIndexOf('/', prefixEnd);
  const dot = name.indexOf('.', slash + 1);
  if (dot <= 0) return { fn: name };
  // The linker escapes dots in the last import-path element (`gopkg.in/yaml%2ev3`).
  return { module: name.slice(0, dot).replace(ESCAPED_DOT_RE, '.'), fn: name.slice(dot + 1) };
}

function parseFuncLine(line: string): { module?: string; fn: string } | undefined {
  if (line.length === 0 || line.length > MAX_LINE_CHARS) return undefined;
  const first = line[0];
  if (first === ' ' || first === '\t') return undefined;
  let s = line.trimEnd();
  if (s.startsWith('created by ')) {
    s = s.slice(11);
    const k = s.indexOf(' in goroutine ');
    if (k !== -1) s = s.slice(0, k);
  }
  if (s.endsWith(')')) {
    const open = matchingOpenParen(s);
    if (open <= 0) return undefined;
    s = s.slice(0, open);
  }
  if (s.length === 0 || WHITESPACE_RE.test(s)) return undefined;
  return splitSymbol(s);
}

function parseFileLine(line: string): { file: string; line: number } | undefined {
  if (line.length === 0 || line.length > MAX_LINE_CHARS) return undefined;
  const indented = line[0] === '\t' || line[0] === ' ';
  let s = line.trim();
  let cut = s.indexOf(' +0x');
  if (cut === -1) cut = s.indexOf(' fp=');
  if (cut !== -1) s = s.slice(0, cut);
  const c = s.lastIndexOf(':');
  if (c <= 0) return undefined;
  const digits = s.slice(c + 1);
  if (!DIGITS_RE.test(digits)) return undefined;
  const file = s.slice(0, c);
  // Log shippers sometimes strip the tab; a Go source path still identifies the line.
  if (!indented && !file.endsWith('.go') && !file.endsWith('.s')) return undefined;
  return { file, line: Number(digits) };
}

function isFramePair(lines: string[], i: number): boolean {
  const fnLine = lines[i];
  const fileLine = lines[i + 1];
  return fnLine !== undefined && fileLine !== undefined && !!parseFuncLine(fnLine) && !!parseFileLine(fileLine);
}

function readFrames(lines: string[], start: number, budget: number): { frames: GoFrame[]; end: number } {
  const frames: GoFrame[] = [];
  let j = start;
  while (j < lines.length) {
    const line = lines[j] ?? '';
    if (line.trim() === '' || line.startsWith('goroutine ')) break;
    if (line.startsWith('...')) {
      // `...additional frames elided...`
      j++;
      continue;
    }
    const fn = parseFuncLine(line);
    const where = fn ? parseFileLine(lines[j + 1] ?? '') : undefined;
    if (!fn || !where) break;
    if (frames.length < budget) {
      const frame: GoFrame = { fn: fn.fn, file: where.file, line: where.line };
      if (fn.module !== undefined) frame.module = fn.module;
      frames.push(frame);
    }
    j += 2;
  }
  return { frames, end: j };
}

/**
 * The error type of a panic: `runtime.Error` for the runtime's own panics (`runtime error: ...`, nil
 * dereference, index out of range), `fatal error` for unrecoverable runtime failures (`concurrent map
 * writes`, deadlock) and `panic` for any other panic value (the text Go prints does not name its type).
 */
function panicValue(value: string): Panic {
  const v = value.replace(RECOVERED_RE, '');
  return { type: v.startsWith('runtime error: ') ? 'runtime.Error' : 'panic', message: v };
}

function classifyHeaderLine(t: string): Panic | undefined {
  if (t.startsWith('panic: ')) return panicValue(t.slice(7));
  if (t.startsWith('fatal error: ')) return { type: 'fatal error', message: t.slice(13) };
  // net/http recovers handler panics and logs `http: panic serving <addr>: <value>` (after a log prefix).
  const h = t.indexOf('http: panic serving ');
  if (h !== -1) {
    const rest = t.slice(h + 20);
    const k = rest.indexOf(': ');
    if (k !== -1) return panicValue(rest.slice(k + 2));
  }
  return undefined;
}

/** Panics in the order printed: the earliest first, the one that killed the program last. */
function readPanics(lines: string[], from: number, to: number): Panic[] {
  const panics: Panic[] = [];
  for (let i = from; i < to; i++) {
    const raw = lines[i] ?? '';
    const t = (raw.length > MAX_LINE_CHARS ? raw.slice(0, MAX_LINE_CHARS) : raw).trim();
    if (t === '' || t.startsWith('[signal ')) continue;
    const p = classifyHeaderLine(t);
    if (p) {
      if (panics.length < MAX_EXCEPTIONS) panics.push(p);
      continue;
    }
    const last = panics[panics.length - 1];
    if (last && last.message.length < MAX_MESSAGE_CHARS) last.message += `\n${t}`;
  }
  return panics;
}

function headerOf(lines: string[]): Panic {
  const panics = readPanics(lines, 0, lines.length);
  const last = panics[panics.length - 1];
  if (last) return last;
  const message = lines.join('\n').trim();
  return { type: '', message: message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message };
}

function isStdlibPath(importPath: string): boolean {
  const slash = importPath.indexOf('/');
  const first = slash === -1 ? importPath : importPath.slice(0, slash);
  return !first.includes('.') && STDLIB_ROOTS.has(first);
}

/**
 * Library: the standard library (import path whose first element has no dot and is a stdlib root, or a
 * file under GOROOT), the module cache (`/pkg/mod/`), `vendor/`, `-trimpath` dependency paths
 * (`module@version/...`) and compiler-generated wrappers. Third-party modules outside those locations
 * (e.g. `github.com/...` built from a monorepo checkout) count as in-app: the path alone cannot tell.
 */
function isLibraryFrame(frame: RawFrame): boolean {
  const file = frame.file;
  if (file) {
    const f = toForwardSlashes(file);
    if (f.includes('/pkg/mod/') || f.includes('/vendor/') || f.startsWith('vendor/')) return true;
    if (f === '<autogenerated>' || f.startsWith('$GOROOT/') || MODULE_VERSION_RE.test(f)) return true;
    const m = GOROOT_SRC_RE.exec(f);
    if (m?.[1] !== undefined && STDLIB_ROOTS.has(m[1])) return true;
    // -trimpath prints stdlib files as `runtime/panic.go`.
    if (!f.startsWith('/') && !f.includes(':') && isStdlibPath(f)) return true;
  }
  if (frame.module !== undefined) return isStdlibPath(frame.module);
  // Only builtins (`panic`) print a function without a package; a bare file that matched no rule is app code.
  return frame.function !== undefined || !file;
}

function normaliseFunctionUncached(fn: string): string {
  let f = fn.replace(INIT_ORDINAL_RE, '$1init').replace(CLOSURE_ORDINAL_RE, '.$1').replace(NESTED_CLOSURE_RE, '.func');
  // Instantiated generics may print concrete type arguments; `[...]` is what the runtime prints by default.
  if (f.includes('[')) {
    let out = '';
    let depth = 0;
    for (const c of f) {
      if (c === '[') {
        if (depth === 0) out += '[...]';
        depth++;
      } else if (c === ']') {
        if (depth > 0) depth--;
      } else if (depth === 0) out += c;
    }
    f = out;
  }
  return f;
}

// Paths and names repeat across events (same code, same deploy), so memoising the normalisation keeps
// the per-event cost near a hash lookup. Cleared wholesale when full: cheap and bounded.
const CACHE_LIMIT = 8192;
const normaliseFunctionCache = new Map<string, string>();

function normaliseFunction(value: string): string {
  let hit = normaliseFunctionCache.get(value);
  if (hit === undefined) {
    hit = normaliseFunctionUncached(value);
    if (normaliseFunctionCache.size >= CACHE_LIMIT) normaliseFunctionCache.clear();
    normaliseFunctionCache.set(value, hit);
  }
  return hit;
}

/** Package path + receiver + function; closure ordinals and argument lists (never stored) removed. */
function groupingKey(frame: RawFrame): string {
  const fn = normaliseFunction(frame.function ?? '?');
  return frame.module ? `${frame.module}.${fn}` : fn;
}

function toStackFrame(f: GoFrame): StackFrame {
  // One object, filled in place: this runs for every frame of every event.
  const raw: StackFrame = { inApp: false };
  if (f.module !== undefined) raw.module = f.module;
  raw.function = f.fn;
  raw.file = f.file;
  raw.line = f.line;
  raw.inApp = !isLibraryFrame(raw);
  return raw;
}

function toFrames(frames: GoFrame[]): StackFrame[] {
  const out: StackFrame[] = [];
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    if (f) out.push(toStackFrame(f));
  }
  return out;
}

function parseGoroutineDump(lines: string[], g: number): ParsedTrace {
  const panics = readPanics(lines, 0, g);
  // Only the first goroutine is the one that panicked; the dumps after the blank line are bystanders.
  const { frames } = readFrames(lines, g + 1, MAX_FRAMES);
  const stack = toFrames(frames);
  if (panics.length === 0) return { language: 'go', exceptions: [{ type: '', message: '', frames: stack }] };
  // Go prints one stack for the whole `[recovered]` chain; it is the stack of the last panic.
  const exceptions: ParsedException[] = [];
  for (let i = panics.length - 1; i >= 0; i--) {
    const p = panics[i];
    if (p) exceptions.push({ type: p.type, message: p.message, frames: i === panics.length - 1 ? stack : [] });
  }
  return { language: 'go', exceptions };
}

/**
 * Text without a goroutine header: pkg/errors `%+v` (message, then `func` / `\tfile:line` pairs). Each
 * `errors.Wrap` prints its message and stack after the wrapped error's, so the last section is the top.
 */
function parseSections(lines: string[]): ParsedTrace | undefined {
  const sections: Section[] = [];
  let header: string[] = [];
  let budget = MAX_FRAMES;
  let i = 0;
  while (i < lines.length && sections.length < MAX_EXCEPTIONS) {
    if (isFramePair(lines, i)) {
      const { frames, end } = readFrames(lines, i, budget);
      budget -= frames.length;
      sections.push({ header, frames });
      header = [];
      i = end > i ? end : i + 1;
      continue;
    }
    const line = lines[i] ?? '';
    if (line.trim() !== '' && header.length < 64)
      header.push(line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line);
    i++;
  }
  if (sections.length === 0) return undefined;
  const exceptions: ParsedException[] = [];
  for (let k = sections.length - 1; k >= 0; k--) {
    const s = sections[k];
    if (!s) continue;
    const h = headerOf(s.header);
    exceptions.push({ type: h.type, message: h.message, frames: toFrames(s.frames) });
  }
  return { language: 'go', exceptions };
}

function parseTrace(text: string): ParsedTrace | undefined {
  const input = text.length > MAX_INPUT_CHARS ? text.slice(0, MAX_INPUT_CHARS) : text;
  const lines = (input.includes('\r') ? input.replace(CR_RE, '\n') : input).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('goroutine ') && line.length < 200 && GOROUTINE_RE.test(line.trimEnd())) {
      return parseGoroutineDump(lines, i);
    }
  }
  return parseSections(lines);
}

function detect(text: string): number {
  const window = text.length > DETECT_WINDOW_CHARS ? text.slice(0, DETECT_WINDOW_CHARS) : text;
  if (!window.includes('.go:') && !window.includes('goroutine ')) return 0;
  const lines = window.split('\n', DETECT_MAX_LINES);
  let goroutine = false;
  let panicHeader = false;
  let goFiles = 0;
  for (const line of lines) {
    if (line.startsWith('goroutine ') && GOROUTINE_RE.test(line.trimEnd())) goroutine = true;
    else if (line.startsWith('panic: ') || line.startsWith('fatal error: ')) panicHeader = true;
    else if (line.includes('.go:')) {
      const where = parseFileLine(line);
      if (where?.file.endsWith('.go')) goFiles++;
    }
  }
  if (goroutine) return goFiles > 0 ? 0.95 : 0.8;
  if (goFiles === 0) return 0;
  if (panicHeader) return 0.9;
  return goFiles >= 2 ? 0.8 : 0.5;
}

export const go: RuntimeSupport = {
  language: 'go',
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
