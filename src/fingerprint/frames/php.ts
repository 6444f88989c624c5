/** @module PHP stack traces: fatal "Uncaught" errors, `Exception::__toString()`, Monolog/Laravel logs, OTel's Java-style format. */
import type { StackFrame } from '../../domain/index.js';
import { moduleAfterRoot, toForwardSlashes } from './paths.js';
import type { ParsedException, ParsedTrace, RawFrame, RuntimeSupport } from './types.js';

// Bounds keep one pathological event from stalling the pipeline; past them the parse is partial.
const MAX_INPUT_CHARS = 512 * 1024;
const MAX_LINE_CHARS = 4096;
const MAX_FRAMES = 1000;
const MAX_EXCEPTIONS = 32;
const MAX_MESSAGE_CHARS = 8192;
const MAX_HEADER_LINES = 64;
const DETECT_WINDOW_CHARS = 8192;
const DETECT_MAX_LINES = 200;

const CR_RE = /\r\n?/g;
const DIGITS_RE = /^\d+$/;
const LEVEL_RE =
  /^(Fatal error|Parse error|Warning|Notice|Deprecated|Recoverable fatal error|Catchable fatal error|Error): +/;
const PHP_CLASS_RE = /^\\?[A-Za-z_][\w\\]*$/;
const JAVA_STYLE_CLASS_RE = /^[A-Za-z_][\w.]*$/;
// Monolog's JSON context doubles every backslash of a class name.
const DOUBLE_BACKSLASH_RE = /\\\\/g;
const DOT_RE = /\./g;
const EVAL_MARKER = " : eval()'d code";

/**
 * Directories after which the app-relative module path starts (the LAST one wins), so
 * `/var/www/html/app/Support/helpers.php` and `/srv/releases/42/app/Support/helpers.php` both give
 * `Support/helpers`. Only used for frames without a class (plain functions, `{main}`, includes).
 */
const ROOT_DIRS = new Set(['app', 'src', 'public', 'routes', 'lib', 'html', 'htdocs', 'www', 'web']);
/**
 * OTel's formatter prints only the file's basename, so vendor code is recognised by namespace there.
 */
const VENDOR_NAMESPACES = [
  'Illuminate\\',
  'Laravel\\',
  'Symfony\\',
  'Doctrine\\',
  'GuzzleHttp\\',
  'Monolog\\',
  'Psr\\',
  'OpenTelemetry\\',
  'Composer\\',
  'PHPUnit\\',
  'Laminas\\',
  'Slim\\',
  'Twig\\',
  'Predis\\',
  'League\\',
  'Carbon\\',
  'Livewire\\',
  'Spatie\\',
  'Nyholm\\',
  'Sentry\\',
];

interface Call {
  file?: string;
  line?: number;
  /** The function called at file:line, as printed (`App\Foo->bar`), or `{main}`. */
  call: string;
}

interface Header {
  type: string;
  message: string;
  file?: string;
  line?: number;
  /** `Next ...`: PHP printed this exception after the one it wraps. */
  next: boolean;
}

interface Section {
  header: Header;
  style: 'native' | 'java';
  /** Native: `#N` entries as printed. Java style: frames as printed, innermost first. */
  calls: Call[];
}

interface PhpFrame {
  module?: string;
  fn?: string;
  file?: string;
  line?: number;
}

function parseFileLine(loc: string): { file: string; line: number } | undefined {
  const on = loc.lastIndexOf(' on line ');
  if (on > 0) {
    const digits = loc.slice(on + 9);
    return DIGITS_RE.test(digits) ? { file: loc.slice(0, on), line: Number(digits) } : undefined;
  }
  const c = loc.lastIndexOf(':');
  if (c <= 0) return undefined;
  const digits = loc.slice(c + 1);
  return DIGITS_RE.test(digits) ? { file: loc.slice(0, c), line: Number(digits) } : undefined;
}

/** `message in /path/file.php:12` (or `... on line 12`) -> message + throw site. */
function splitThrowSite(rest: string, marker: string): Pick<Header, 'message' | 'file' | 'line'> {
  const k = rest.lastIndexOf(marker);
  if (k !== -1) {
    const where = parseFileLine(rest.slice(k + marker.length).trim());
    if (where) {
      const site = evalCaller(where.file, where.line);
      return { message: rest.slice(0, k), file: site.file, line: site.line };
    }
  }
  return { message: rest };
}

function parseMonolog(s: string, obj: number): Header {
  let body = s.slice(obj + 10).trim();
  if (body.endsWith(')')) body = body.slice(0, -1);
  const code = body.indexOf('(code: ');
  const after = code === -1 ? -1 : body.indexOf('): ', code);
  if (code <= 0 || after === -1) return { type: '', message: body, next: false };
  const type = body.slice(0, code).replace(DOUBLE_BACKSLASH_RE, '\\');
  return { type, ...splitThrowSite(body.slice(after + 3), ' at '), next: false };
}

function parseHeader(text: string, style: Section['style']): Header {
  let s = text.trim();
  const obj = s.indexOf('[object] (');
  if (obj !== -1) return parseMonolog(s, obj);
  // error_log lines: `[15-Jan-2024 10:23:45 UTC] PHP Fatal error:  Uncaught ...`
  if (s.startsWith('[')) {
    const close = s.indexOf('] ');
    if (close !== -1 && close < 64) s = s.slice(close + 2);
  }
  if (s.startsWith('PHP ')) s = s.slice(4);
  const level = LEVEL_RE.exec(s);
  let uncaught = false;
  let next = false;
  if (level) s = s.slice(level[0].length);
  if (s.startsWith('Uncaught ')) {
    s = s.slice(9);
    uncaught = true;
  } else if (s.startsWith('Next ')) {
    s = s.slice(5);
    next = true;
  } else if (s.startsWith('Caused by: ')) {
    s = s.slice(11);
  }
  if (level && !uncaught) {
    // A plain engine error (`Allowed memory size ... exhausted`), not an exception object.
    return { type: level[1] ?? 'Error', ...splitThrowSite(s, ' in '), next };
  }
  const colon = s.indexOf(': ');
  const space = s.indexOf(' ');
  let type = '';
  let rest = s;
  if (colon > 0 && (space === -1 || colon < space)) {
    type = s.slice(0, colon);
    rest = s.slice(colon + 2);
  } else if (space > 0 && s.startsWith(' in ', space)) {
    // An exception with an empty message: `RuntimeException in /x.php:3`.
    type = s.slice(0, space);
    rest = s.slice(space);
  } else if (space === -1) {
    type = s;
    rest = '';
  }
  if (style === 'java') {
    if (!JAVA_STYLE_CLASS_RE.test(type)) return { type: '', message: s, next };
    return { type: type.replace(DOT_RE, '\\'), message: rest, next };
  }
  if (!PHP_CLASS_RE.test(type)) return { type: '', ...splitThrowSite(s, ' in '), next };
  return { type: type.replace(DOUBLE_BACKSLASH_RE, '\\'), ...splitThrowSite(rest, ' in '), next };
}

function parseNativeFrame(t: string): Call | undefined {
  const sp = t.indexOf(' ');
  if (sp < 2 || !DIGITS_RE.test(t.slice(1, sp))) return undefined;
  const rest = t.slice(sp + 1);
  if (rest === '{main}') return { call: '{main}' };
  if (rest.startsWith('[internal function]: ')) return { call: rest.slice(21) };
  const close = rest.indexOf('): ');
  if (close === -1) return undefined;
  const open = rest.lastIndexOf('(', close);
  if (open <= 0) return undefined;
  const digits = rest.slice(open + 1, close);
  if (!DIGITS_RE.test(digits)) return undefined;
  const where: Call = evalCaller(rest.slice(0, open), Number(digits));
  where.call = rest.slice(close + 3);
  return where;
}

/** `/x.php(12) : eval()'d code` line 1 -> `/x.php` line 12: the snippet has no file, its caller's line is stable. */
function evalCaller(file: string, line: number): Call {
  const ev = file.indexOf(EVAL_MARKER);
  if (ev === -1) return { file, line, call: '' };
  const inner = file.slice(0, ev);
  const p = inner.lastIndexOf('(');
  if (p > 0 && inner.endsWith(')') && DIGITS_RE.test(inner.slice(p + 1, -1))) {
    return { file: inner.slice(0, p), line: Number(inner.slice(p + 1, -1)), call: '' };
  }
  return { file, line, call: '' };
}

/** OTel PHP's `StackTraceFormatter`: `at App.Foo.bar(Foo.php:12)`, `at {main}(index.php:5)`. */
function parseJavaStyleFrame(t: string): Call | undefined {
  if (!t.startsWith('at ') || !t.endsWith(')')) return undefined;
  const s = t.slice(3);
  let depth = 0;
  let open = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === '(' && depth === 0) {
      open = i;
      break;
    }
  }
  if (open <= 0) return undefined;
  const loc = s.slice(open + 1, -1);
  const name = s.slice(0, open);
  if (loc === 'Unknown Source') return { call: name };
  const where = parseFileLine(loc);
  if (where) return where.file.endsWith('.php') ? { ...where, call: name } : undefined;
  return loc.endsWith('.php') ? { file: loc, call: name } : undefined;
}

/** The first `->` / `::` (native) or the last `.` (Java style) outside `{closure:...}` braces. */
function memberSeparator(name: string, java: boolean): { at: number; width: number } | undefined {
  let depth = 0;
  let lastDot = -1;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (depth === 0) {
      if (!java && c === '-' && name[i + 1] === '>') return { at: i, width: 2 };
      if (!java && c === ':' && name[i + 1] === ':') return { at: i, width: 2 };
      if (java && c === '.') lastDot = i;
    }
  }
  return lastDot > 0 ? { at: lastDot, width: 1 } : undefined;
}

function lastTopLevelBackslash(name: string): number {
  let depth = 0;
  let last = -1;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === '\\' && depth === 0) last = i;
  }
  return last;
}

/** `App\Foo->bar('x', Array)` -> class `App\Foo`, function `bar`. */
function splitCall(call: string, java: boolean): { module?: string; fn: string } {
  let s = call.includes('\\\\') ? call.replace(DOUBLE_BACKSLASH_RE, '\\') : call;
  if (!java) {
    let depth = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === '{') depth++;
      else if (c === '}') depth--;
      else if (c === '(' && depth === 0) {
        s = s.slice(0, i);
        break;
      }
    }
  }
  s = s.trim();
  const sep = memberSeparator(s, java);
  if (sep) {
    const cls = s.slice(0, sep.at);
    return { module: java ? cls.replace(DOT_RE, '\\') : cls, fn: s.slice(sep.at + sep.width) };
  }
  if (!java) {
    const bs = lastTopLevelBackslash(s);
    if (bs > 0) return { module: s.slice(0, bs), fn: s.slice(bs + 1) };
  }
  return { fn: s };
}

/**
 * Module from a file path: dependencies become the path after `vendor/`; app files the path after the
 * last ROOT_DIRS directory (parent directory + file when there is none), deploy noise removed, `.php` dropped.
 */
function moduleFromPathUncached(file: string): string {
  const p = toForwardSlashes(file);
  const strip = (x: string): string => (x.endsWith('.php') ? x.slice(0, -4) : x);
  const vendor = p.lastIndexOf('vendor/');
  if (vendor !== -1 && (vendor === 0 || p[vendor - 1] === '/')) return strip(p.slice(vendor + 7));
  return moduleAfterRoot(p, ROOT_DIRS, strip);
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

/**
 * Library: Composer's `vendor/`, `[internal function]` frames (no file), system PEAR/PHP dirs, PHARs; for
 * basename-only paths (OTel's format) a known framework/library namespace.
 */
function isLibraryFrame(frame: RawFrame): boolean {
  const file = frame.file;
  if (!file) return true;
  const f = toForwardSlashes(file);
  if (
    f.includes('/vendor/') ||
    f.startsWith('vendor/') ||
    f.startsWith('phar://') ||
    f.startsWith('/usr/share/php') ||
    f.startsWith('/usr/share/pear') ||
    f.startsWith('/usr/lib/php')
  ) {
    return true;
  }
  if (!f.includes('/')) {
    const mod = frame.module;
    return mod !== undefined && VENDOR_NAMESPACES.some((ns) => mod.startsWith(ns));
  }
  return false;
}

function normaliseClass(cls: string): string {
  let c = cls.includes('\\\\') ? cls.replace(DOUBLE_BACKSLASH_RE, '\\') : cls;
  if (c.startsWith('\\')) c = c.slice(1);
  // Anonymous classes print `class@anonymous` + NUL + the defining file, line and an ordinal.
  const anon = c.indexOf('@anonymous');
  return anon === -1 ? c : c.slice(0, anon + 10);
}

/** Closures (`{closure}`, namespaced `App\{closure}`, PHP 8.4 `{closure:App\Foo::bar():31}`) -> `{closure}`. */
function normaliseFunction(fn: string | undefined): string {
  if (!fn) return '?';
  return fn.includes('{closure') ? '{closure}' : fn;
}

/** `Class::function` for methods (class names are stable across deploys), `module-from-file:function` otherwise. */
function groupingKey(frame: RawFrame): string {
  const fn = normaliseFunction(frame.function);
  if (frame.module) return `${normaliseClass(frame.module)}::${fn}`;
  return `${frame.file ? moduleFromPath(frame.file) : ''}:${fn}`;
}

function toStackFrame(f: PhpFrame): StackFrame {
  // One object, filled in place: this runs for every frame of every event.
  const raw: StackFrame = { inApp: false };
  if (f.module !== undefined) raw.module = f.module;
  if (f.fn !== undefined) raw.function = f.fn;
  if (f.file !== undefined) raw.file = f.file;
  if (f.line !== undefined) raw.line = f.line;
  raw.inApp = !isLibraryFrame(raw);
  return raw;
}

function frameFor(call: string | undefined, java: boolean, file?: string, line?: number): PhpFrame {
  const f: PhpFrame = {};
  if (call !== undefined) {
    const c = splitCall(call, java);
    if (c.module !== undefined) f.module = c.module;
    if (c.fn !== '') f.fn = c.fn;
  }
  if (file !== undefined) f.file = file;
  if (line !== undefined) f.line = line;
  return f;
}

/**
 * PHP's `#N file(line): call` means "call was invoked from file:line", so each line names the callee but
 * the caller's location. Shifting by one gives each frame its own function and location; the innermost
 * frame's location is the throw site from the header (OTel's formatter does the same).
 */
function nativeFrames(section: Section): PhpFrame[] {
  const { calls, header } = section;
  const out: PhpFrame[] = [];
  if (calls.length === 0) {
    if (header.file !== undefined) out.push(frameFor(undefined, false, header.file, header.line));
    return out;
  }
  const first = calls[0];
  // ErrorException (from an error handler) and eval report the CALL site of frame #0 as their location:
  // then the innermost function's own location is unknown, not the caller's.
  const ownSite = first?.file !== header.file || first?.line !== header.line;
  out.push(frameFor(first?.call, false, ownSite ? header.file : undefined, ownSite ? header.line : undefined));
  for (let k = 1; k < calls.length; k++) {
    const prev = calls[k - 1];
    out.push(frameFor(calls[k]?.call, false, prev?.file, prev?.line));
  }
  const last = calls[calls.length - 1];
  // A trace cut before `{main}` still knows where its outermost call was made.
  if (last && last.call !== '{main}' && last.file !== undefined)
    out.push(frameFor(undefined, false, last.file, last.line));
  return out;
}

function toException(section: Section): ParsedException {
  const printed =
    section.style === 'java' ? section.calls.map((c) => frameFor(c.call, true, c.file, c.line)) : nativeFrames(section);
  const frames: StackFrame[] = [];
  for (let i = printed.length - 1; i >= 0; i--) {
    const f = printed[i];
    if (f) frames.push(toStackFrame(f));
  }
  let message = section.header.message.trim();
  if (message.length > MAX_MESSAGE_CHARS) message = message.slice(0, MAX_MESSAGE_CHARS);
  return { type: section.header.type, message, frames };
}

function isChainHeader(line: string): boolean {
  return line.startsWith('Next ') || line.startsWith('Caused by: ') || line.startsWith('[previous exception]');
}

function headerStart(buf: string[]): number {
  // The block before a trace may carry log lines; the header is the last line that starts one.
  for (let i = buf.length - 1; i >= 0; i--) {
    const l = (buf[i] ?? '').trim();
    if (
      l.includes('[object] (') ||
      l.includes('Fatal error: ') ||
      l.startsWith('Next ') ||
      l.startsWith('Caused by: ') ||
      l.startsWith('PHP ')
    ) {
      return i;
    }
  }
  return 0;
}

function parseTrace(text: string): ParsedTrace | undefined {
  const input = text.length > MAX_INPUT_CHARS ? text.slice(0, MAX_INPUT_CHARS) : text;
  const lines = (input.includes('\r') ? input.replace(CR_RE, '\n') : input).split('\n');
  const sections: Section[] = [];
  let buf: string[] = [];
  let cur: Section | undefined;
  let frameCount = 0;
  const open = (style: Section['style']): Section | undefined => {
    if (sections.length >= MAX_EXCEPTIONS) return undefined;
    const s: Section = { header: parseHeader(buf.slice(headerStart(buf)).join('\n'), style), style, calls: [] };
    sections.push(s);
    buf = [];
    return s;
  };
  for (const raw of lines) {
    if (raw.length > MAX_LINE_CHARS) continue;
    const t = raw.trim();
    if (t === '') continue;
    if (t === 'Stack trace:' || t === 'PHP Stack trace:' || t === '[stacktrace]') {
      if (buf.length > 0) {
        cur = open('native');
        if (!cur) break;
      }
      continue;
    }
    if (t.startsWith('#')) {
      const call = parseNativeFrame(t);
      if (call) {
        if (!cur || buf.length > 0) cur = open('native');
        if (!cur) break;
        if (frameCount < MAX_FRAMES) {
          cur.calls.push(call);
          frameCount++;
        }
        continue;
      }
    }
    if (t.startsWith('at ')) {
      const call = parseJavaStyleFrame(t);
      if (call) {
        if (!cur || buf.length > 0 || cur.style !== 'java') cur = open('java');
        if (!cur) break;
        if (frameCount < MAX_FRAMES) {
          cur.calls.push(call);
          frameCount++;
        }
        continue;
      }
    }
    if (t.startsWith('... ') && t.endsWith(' more')) {
      // OTel's format elides frames shared with the enclosing exception; a cause may have no others.
      if (buf.length > 0 && cur?.style === 'java' && !open('java')) break;
      continue;
    }
    if (t.startsWith('thrown in ') || t.startsWith('"}')) continue;
    if (buf.length < MAX_HEADER_LINES) buf.push(t);
  }
  if (buf.length > 0 && sections.length > 0 && isChainHeader(buf[headerStart(buf)] ?? '')) {
    open(sections[sections.length - 1]?.style ?? 'native');
  }
  // A fatal engine error (`Allowed memory size ... on line 12`) has a location but no trace.
  if (buf.length > 0 && sections.length === 0) {
    const h = parseHeader(buf.slice(headerStart(buf)).join('\n'), 'native');
    if (h.file !== undefined && h.type !== '') sections.push({ header: h, style: 'native', calls: [] });
  }
  if (sections.length === 0) return undefined;
  // `(Unknown Source)` frames alone are Java's too: the Java-style format needs at least one PHP file.
  if (sections.every((x) => x.style === 'java') && !sections.some((x) => x.calls.some((c) => c.file !== undefined))) {
    return undefined;
  }
  // `Next` chains print the innermost previous exception first; every other format prints the top first.
  const ordered = sections.some((s) => s.header.next) ? [...sections].reverse() : sections;
  return { language: 'php', exceptions: ordered.map(toException) };
}

function detect(text: string): number {
  const window = text.length > DETECT_WINDOW_CHARS ? text.slice(0, DETECT_WINDOW_CHARS) : text;
  if (!window.includes('.php') && !window.includes('{main}')) return 0;
  const lines = window.split('\n', DETECT_MAX_LINES);
  let stackTrace = false;
  let native = 0;
  let java = 0;
  let fatal = false;
  for (const raw of lines) {
    const t = raw.trim();
    if (t === 'Stack trace:' || t === '[stacktrace]') stackTrace = true;
    else if (t.startsWith('#') && parseNativeFrame(t)) native++;
    else if (t.startsWith('at ') && parseJavaStyleFrame(t)) java++;
    else if (t.includes('PHP Fatal error:') || t.includes('Fatal error: Uncaught ') || t.includes('[object] (')) {
      fatal = true;
    }
  }
  if (native > 0) return stackTrace ? 0.95 : native >= 2 ? 0.9 : 0.7;
  if (java > 0) return 0.85;
  return fatal && window.includes('.php') ? 0.7 : 0;
}

export const php: RuntimeSupport = {
  language: 'php',
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
