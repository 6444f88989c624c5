/** @module Ruby stack traces: `full_message` output, Rails / Sidekiq logged backtraces and cause sections. */
import type { StackFrame } from '../../domain/index.js';
import { moduleAfterRoot, toForwardSlashes } from './paths.js';
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
const DIGITS_RE = /^\d+$/;
// Unlabelled frames (`app/views/x.html.erb:12`) need a Ruby-ish file to be told apart from prose.
const RUBY_FILE_RE = /\.(?:rb|erb|rake|haml|slim|builder|jbuilder|ru)$/;
const NUMBERED_FROM_RE = /^\d+: from /;
const CLASS_NAME_RE = /^[A-Z]\w*(?:::[A-Z]\w*)*$/;
// Bare `Word: text` lines are everywhere in messages (`LINE 1: SELECT ...`); a header needs a name that
// is unmistakably an exception class.
const EXCEPTION_CLASS_RE = /(?:::|Error$|Exception$)/;
const BLOCK_LEVELS_RE = /block \(\d+ levels\) in /g;
const LABEL_PREFIX_RE = /^(?:(?:block|rescue|ensure) in )+/;
const ADDRESS_RE = /0x[0-9a-f]+/gi;
const RUBY_STDLIB_RE = /\/ruby\/\d+\.\d+\.\d+\//;
const RUBY_INSTALL_RE = /\/lib\/ruby\/(?:\d|site_ruby|vendor_ruby|gems)/;
const BIN_DIR_RE = /^\/usr\/(?:local\/)?bin\/|\/bundle\/bin\//;
const GEM_VERSION_RE = /-\d[^/]*$/;
const GEM_GIT_SHA_RE = /-[0-9a-f]{7,40}$/;

/**
 * Directories after which the app-relative module path starts; the LAST one in a path wins, so
 * `/app/app/models/user.rb`, `app/models/user.rb` (Rails-cleaned) and
 * `/var/www/shop/releases/20240115103000/app/models/user.rb` all become `models/user`.
 */
const ROOT_DIRS = new Set(['app', 'lib', 'config', 'db', 'spec', 'test', 'script', 'bin']);

interface RubyFrame {
  file: string;
  line: number;
  label?: string;
}

interface LocatedLine extends RubyFrame {
  /** Set when the line is an exception header (`file:line:in 'label': message (Class)`). */
  message?: string;
}

interface Header {
  type: string;
  message: string;
  /** A Rails header whose `(message):` spans several lines is still open. */
  open?: boolean;
}

interface Section {
  type: string;
  messageLines: string[];
  /** Innermost first, as printed. */
  frames: RubyFrame[];
  inMessage: boolean;
  railsOpen: boolean;
  /** Started by a `file:line:in` header or `Caused by:`, not by a header-looking log line. */
  explicit: boolean;
}

function splitFileLine(s: string): { file: string; line: number } | undefined {
  const c = s.lastIndexOf(':');
  if (c <= 0) return undefined;
  const digits = s.slice(c + 1);
  if (!DIGITS_RE.test(digits)) return undefined;
  return { file: s.slice(0, c), line: Number(digits) };
}

function parseLocated(body: string): LocatedLine | undefined {
  const inIdx = body.indexOf(':in ');
  if (inIdx > 0) {
    const quote = body[inIdx + 4];
    // Ruby < 3.4 opens labels with a backtick, 3.4 with a single quote; both close with `'`.
    if (quote !== '`' && quote !== "'") return undefined;
    const where: LocatedLine | undefined = splitFileLine(body.slice(0, inIdx));
    if (!where) return undefined;
    const labelStart = inIdx + 5;
    const close = body.indexOf("': ", labelStart);
    if (close !== -1) {
      where.label = body.slice(labelStart, close);
      where.message = body.slice(close + 3);
    } else if (body.endsWith("':")) {
      where.label = body.slice(labelStart, -2);
      where.message = '';
    } else if (body.endsWith("'")) {
      where.label = body.slice(labelStart, -1);
    } else {
      return undefined;
    }
    return where;
  }
  const where = splitFileLine(body);
  if (where && (RUBY_FILE_RE.test(where.file) || where.file === '-e' || where.file.startsWith('<internal:')))
    return where;
  return undefined;
}

/** `message (Class)` as the header line of `full_message` ends; multi-line messages put the class on line 1. */
function splitMessageClass(rest: string): Header {
  if (rest.endsWith(')')) {
    const open = rest.lastIndexOf(' (');
    if (open !== -1) {
      const cls = rest.slice(open + 2, -1);
      if (CLASS_NAME_RE.test(cls)) return { type: cls, message: rest.slice(0, open) };
    }
  }
  // Ruby prints `unhandled exception` for an empty message and then no class.
  return { type: '', message: rest };
}

function parseHeaderLine(t: string): Header | undefined {
  const paren = t.indexOf(' (');
  if (paren > 0) {
    // Rails: `ActiveRecord::RecordNotFound (Couldn't find User with 'id'=1):`
    const cls = t.slice(0, paren);
    if (CLASS_NAME_RE.test(cls) && EXCEPTION_CLASS_RE.test(cls)) {
      if (t.endsWith('):')) return { type: cls, message: t.slice(paren + 2, -2) };
      const colon = t.indexOf(': ');
      if (colon === -1 || colon > paren) return { type: cls, message: t.slice(paren + 2), open: true };
    }
  }
  // Sidekiq and `"#{e.class}: #{e.message}"` loggers.
  const colon = t.indexOf(': ');
  if (colon > 0) {
    const cls = t.slice(0, colon);
    if (CLASS_NAME_RE.test(cls) && EXCEPTION_CLASS_RE.test(cls)) return { type: cls, message: t.slice(colon + 2) };
  }
  if (t.endsWith(')')) {
    const h = splitMessageClass(t);
    if (h.type !== '' && EXCEPTION_CLASS_RE.test(h.type)) return h;
  }
  return undefined;
}

function stripRb(p: string): string {
  return p.endsWith('.rb') ? p.slice(0, -3) : p;
}

/**
 * Module from a file path: gems become `<gem name>/<path under lib/>` (version dropped), stdlib files the
 * path under `ruby/X.Y.Z/`, `<internal:...>` stays as printed, and app files the path after the last
 * ROOT_DIRS directory (parent directory + file when there is none), deploy noise removed, `.rb` dropped.
 */
function moduleFromPathUncached(file: string): string {
  const p = toForwardSlashes(file);
  if (p.startsWith('<')) return p;
  const gems = p.lastIndexOf('/gems/');
  if (gems !== -1) {
    const rest = p.slice(gems + 6);
    const slash = rest.indexOf('/');
    const gemDir = slash === -1 ? rest : rest.slice(0, slash);
    const inner = slash === -1 ? '' : rest.slice(slash + 1);
    // Code under a gem's lib/ is already namespaced by its require path (`active_support/callbacks`).
    if (inner.startsWith('lib/')) return stripRb(inner.slice(4));
    const gem = gemDir.replace(GEM_GIT_SHA_RE, '').replace(GEM_VERSION_RE, '');
    return inner ? `${gem}/${stripRb(inner)}` : gem;
  }
  const std = RUBY_STDLIB_RE.exec(p);
  if (std) return stripRb(p.slice(std.index + std[0].length));
  return moduleAfterRoot(p, ROOT_DIRS, stripRb);
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

/** Library: gems (any `/gems/` directory), `vendor/bundle`, the Ruby install and stdlib, `<internal:...>`. */
function isLibraryFrame(frame: RawFrame): boolean {
  const file = frame.file;
  if (!file) return true;
  const p = toForwardSlashes(file);
  return (
    p.startsWith('<internal:') ||
    p.includes('/gems/') ||
    p.includes('/vendor/bundle/') ||
    p.includes('/rubygems/') ||
    RUBY_STDLIB_RE.test(p) ||
    RUBY_INSTALL_RE.test(p) ||
    BIN_DIR_RE.test(p)
  );
}

/**
 * Label without what changes between runs and Ruby versions: `block (N levels) in` -> `block in`, Ruby
 * 3.4's owner qualifier (`Foo::Bar#baz`, `Foo.baz`) dropped so a Ruby upgrade keeps keys, object
 * addresses removed. `rescue in` / `ensure in` are kept: they are different code than the method body.
 */
function normaliseLabelTextUncached(label: string): string {
  const l = label.replace(BLOCK_LEVELS_RE, 'block in ').replace(ADDRESS_RE, '0x');
  const prefix = LABEL_PREFIX_RE.exec(l)?.[0] ?? '';
  let method = l.slice(prefix.length);
  if (!method.startsWith('<')) {
    const hash = method.lastIndexOf('#');
    if (hash > 0) method = method.slice(hash + 1);
    else if (method.charCodeAt(0) >= 65 && method.charCodeAt(0) <= 90) {
      const dot = method.lastIndexOf('.');
      if (dot > 0) method = method.slice(dot + 1);
    }
  }
  return prefix + method;
}

const normaliseLabelTextCache = new Map<string, string>();

function normaliseLabelText(value: string): string {
  let hit = normaliseLabelTextCache.get(value);
  if (hit === undefined) {
    hit = normaliseLabelTextUncached(value);
    if (normaliseLabelTextCache.size >= CACHE_LIMIT) normaliseLabelTextCache.clear();
    normaliseLabelTextCache.set(value, hit);
  }
  return hit;
}

function groupingKey(frame: RawFrame): string {
  const mod = frame.file ? moduleFromPath(frame.file) : (frame.module ?? '');
  return `${mod}:${frame.function ? normaliseLabelText(frame.function) : '?'}`;
}

function toStackFrame(f: RubyFrame): StackFrame {
  // One object, filled in place: this runs for every frame of every event.
  const raw: StackFrame = { inApp: false, module: moduleFromPath(f.file) };
  if (f.label !== undefined) raw.function = f.label;
  raw.file = f.file;
  raw.line = f.line;
  raw.inApp = !isLibraryFrame(raw);
  return raw;
}

function finish(s: Section): ParsedException {
  let message = s.messageLines.join('\n').trim();
  if (message.length > MAX_MESSAGE_CHARS) message = message.slice(0, MAX_MESSAGE_CHARS);
  const frames: StackFrame[] = [];
  for (let i = s.frames.length - 1; i >= 0; i--) {
    const f = s.frames[i];
    if (f) frames.push(toStackFrame(f));
  }
  return { type: s.type, message, frames };
}

function frameOf(l: LocatedLine): RubyFrame {
  // The parsed line is the frame; the header message it may carry is simply not read again.
  return l;
}

function parseTrace(text: string): ParsedTrace | undefined {
  const input = text.length > MAX_INPUT_CHARS ? text.slice(0, MAX_INPUT_CHARS) : text;
  const lines = (input.includes('\r') ? input.replace(CR_RE, '\n') : input).split('\n');
  const sections: Section[] = [];
  let cur: Section | undefined;
  let frameCount = 0;
  // Ruby 2.5-2.7 `Traceback (most recent call last):` prints callers first (numbered), then the header.
  const pending: RubyFrame[] = [];
  const open = (
    type: string,
    message: string,
    frames: RubyFrame[],
    railsOpen: boolean,
    explicit: boolean,
    inMessage = true,
  ): boolean => {
    if (sections.length >= MAX_EXCEPTIONS) return false;
    cur = { type, messageLines: [message], frames, inMessage, railsOpen, explicit };
    sections.push(cur);
    frameCount += frames.length;
    return true;
  };
  for (const raw of lines) {
    if (raw.length > MAX_LINE_CHARS) continue;
    const t = raw.trim();
    let body = t;
    let numbered = false;
    if (body.startsWith('from ')) body = body.slice(5);
    else if (NUMBERED_FROM_RE.test(body)) {
      body = body.slice(body.indexOf('from ') + 5);
      numbered = true;
    }
    const causedBy = body.startsWith('Caused by: ');
    if (causedBy) body = body.slice(11);
    const located = parseLocated(body);
    if (located?.message !== undefined) {
      // `file:line:in 'label': message (Class)`: a new exception whose first frame is where it was raised.
      const h = splitMessageClass(located.message);
      const frames = [frameOf(located)];
      for (let i = pending.length - 1; i >= 0; i--) {
        const p = pending[i];
        if (p) frames.push(p);
      }
      pending.length = 0;
      if (!open(h.type, h.message, frames, false, true)) break;
      continue;
    }
    if (located) {
      if (frameCount >= MAX_FRAMES) continue;
      if (numbered) {
        if (pending.length < MAX_FRAMES) pending.push(frameOf(located));
        continue;
      }
      if (!cur && !open('', '', [], false, false)) break;
      if (cur) {
        cur.frames.push(frameOf(located));
        cur.inMessage = false;
        frameCount++;
      }
      continue;
    }
    if (causedBy) {
      const h = parseHeaderLine(body) ?? splitMessageClass(body);
      if (!open(h.type, h.message, [], h.open === true, true, h.open === true || !body.endsWith('):'))) break;
      continue;
    }
    if (cur?.inMessage) {
      if (cur.railsOpen && t.endsWith('):')) {
        cur.messageLines.push(t.slice(0, -2));
        cur.railsOpen = false;
      } else cur.messageLines.push(raw.trimEnd());
      continue;
    }
    // Headers start at column 0; indented lines after a backtrace are log noise (`Rendered ...`).
    if (t === '' || raw[0] === ' ' || raw[0] === '\t') continue;
    const h = parseHeaderLine(t);
    // A closed Rails header (`Class (message):`) is complete; what follows is a template extract or noise.
    if (h && !open(h.type, h.message, [], h.open === true, false, h.open === true || !t.endsWith('):'))) break;
  }
  // A header that never got frames is log noise unless it was explicitly chained (`Caused by:`).
  const exceptions = sections.filter((s) => s.frames.length > 0 || s.explicit).map(finish);
  if (frameCount === 0 || exceptions.length === 0) return undefined;
  return { language: 'ruby', exceptions };
}

function detect(text: string): number {
  const window = text.length > DETECT_WINDOW_CHARS ? text.slice(0, DETECT_WINDOW_CHARS) : text;
  if (!window.includes('.rb:') && !window.includes('<internal:')) return 0;
  const lines = window.split('\n', DETECT_MAX_LINES);
  let labelled = 0;
  let from = 0;
  for (const line of lines) {
    if (!line.includes(':in ')) continue;
    let body = line.trim();
    if (body.startsWith('from ')) {
      body = body.slice(5);
      from++;
    } else if (NUMBERED_FROM_RE.test(body)) body = body.slice(body.indexOf('from ') + 5);
    const l = parseLocated(body);
    if (l?.label !== undefined && (l.file.endsWith('.rb') || l.file.startsWith('<internal:'))) labelled++;
  }
  if (labelled === 0) return 0;
  if (from > 0) return 0.95;
  return labelled >= 2 ? 0.9 : 0.7;
}

export const ruby: RuntimeSupport = {
  language: 'ruby',
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
