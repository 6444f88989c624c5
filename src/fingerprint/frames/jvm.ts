/** @module JVM (Java, Kotlin, Scala) stack-trace support: `Throwable.printStackTrace` output and logger renderings of it. */
import type { StackFrame } from '../../domain/index.js';
import type { ParsedException, ParsedTrace, RawFrame, RuntimeSupport } from './types.js';

/*
 * Frame fields: `module` is the fully qualified class as printed (JPMS module / class-loader prefixes such as
 * `java.base/` and `app//` are dropped), `function` the method, `file`/`line` the source position.
 *
 * Grouping key: `<class>.<method>` with build- and run-dependent parts removed:
 *   `Foo$$Lambda$123/0x0000000800c0b000` and `Foo$$Lambda/0x...` -> `Foo$$Lambda`, `$Proxy45` -> `$Proxy`,
 *   `jdk.proxy2.` -> `jdk.proxy.`, CGLIB/ByteBuddy/Hibernate/Mockito/javassist hashes dropped
 *   (`Foo$$EnhancerBySpringCGLIB$$1a2b3c` -> `Foo$$EnhancerBySpringCGLIB`), `GeneratedMethodAccessor12` ->
 *   `GeneratedMethodAccessor`, numbered anonymous classes `Foo$1` -> `Foo$<anon>`; in methods, trailing
 *   numbering goes (`lambda$process$0` -> `lambda$process`, `$anonfun$run$2` -> `$anonfun$run`).
 *
 * Generated classes (lambda hidden classes, proxies, CGLIB/ByteBuddy subclasses, reflection accessors) count as
 * library frames: they are trampolines, and the application code they forward to has its own frame.
 */

const MAX_FRAME_LINE = 4096;
const MAX_MESSAGE_CHARS = 8192;
const MAX_MESSAGE_LINES = 100;
const DETECT_WINDOW = 65_536;

/** `at <location>(<source>)` plus an optional logback/log4j2 packaging suffix such as `~[spring-web.jar:6.1.3]`. */
const FRAME_RE = /^\s*at\s+([^\s()]+)\(([^()]*)\)(?:\s*~?\[[^\]]*\])?\s*$/;
const SOURCE_RE = /^([^\s:]+)(?::(\d+))?$/;
const MORE_RE = /^\s*\.\.\.\s*\d+\s+(?:more|common frames omitted)\s*$/;
const HEADER_RE =
  /^(?:Exception in thread "[^"]*" )?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[A-Z][\w$]*(?:Exception|Error|Throwable))(?:: ?(.*))?$/;
const EXCEPTION_LIKE_RE = /(?:Exception|Error|Throwable|Failure)$/;
const LAMBDA_HOST_RE = /\$\$Lambda(?:\$\d+)?$/;

const LAMBDA_CLASS_RE = /\$\$Lambda(?:\$\d+)?(?:\/(?:0x)?[0-9a-fA-F]+)?/g;
const PROXY_RE = /\$Proxy\d+/g;
const JDK_PROXY_PACKAGE_RE = /^jdk\.proxy\d+\./;
const CGLIB_RE = /\$\$([A-Za-z]*CGLIB)\$\$\w+/g;
const BYTECODE_GEN_RE = /\$(ByteBuddy|HibernateProxy|MockitoMock)\$\w+/g;
const JAVASSIST_RE = /_\$\$_jvst\w+/g;
const ACCESSOR_RE = /(Generated(?:Serialization)?(?:Method|Constructor)Accessor)\d+/g;
const ANONYMOUS_CLASS_RE = /\$\d+(?=\$|$)/g;
const METHOD_NUMBERING_RE = /[$-]\d+(?=\$|$)/g;
const GENERATED_RE =
  /\$\$Lambda|\$Proxy\d|CGLIB\$\$|\$ByteBuddy\$|\$HibernateProxy\$|\$MockitoMock\$|Generated(?:Serialization)?(?:Method|Constructor)Accessor|_\$\$_jvst/;

const LIBRARY_PREFIXES = [
  'java.',
  'javax.',
  'jakarta.',
  'jdk.',
  'sun.',
  'com.sun.',
  'kotlin.',
  'kotlinx.',
  '_COROUTINE.',
  'scala.',
  'akka.',
  'org.springframework.',
  'org.apache.',
  'org.hibernate.',
  'io.netty.',
  'com.fasterxml.',
  'reactor.',
  'io.grpc.',
  'okhttp3.',
  'okio.',
  'com.google.',
  'org.junit.',
  'org.opentest4j.',
  'org.testng.',
  'org.eclipse.jetty.',
  'io.micrometer.',
  'ch.qos.logback.',
  'org.slf4j.',
  'io.undertow.',
  'org.jboss.',
  'org.glassfish.',
  'com.zaxxer.',
  'org.postgresql.',
  'com.mysql.',
  'io.opentelemetry.',
  'org.aspectj.',
  'net.bytebuddy.',
  'org.mockito.',
  'io.reactivex.',
  'io.vertx.',
  'io.ktor.',
  'feign.',
  'retrofit2.',
  'org.gradle.',
  'worker.org.gradle.',
  'io.quarkus.',
  'io.micronaut.',
  'io.smallrye.',
  'org.mybatis.',
  'org.flywaydb.',
  'liquibase.',
  'software.amazon.',
  'com.amazonaws.',
  'io.lettuce.',
  'redis.clients.',
  'org.elasticsearch.',
  'org.reactivestreams.',
  'com.typesafe.',
  'play.',
  'cats.',
  'zio.',
];
const LIBRARY_RE = new RegExp(`^(?:${LIBRARY_PREFIXES.map((p) => p.replace(/[.$]/g, '\\$&')).join('|')})`);

function indentWidth(line: string): number {
  let width = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 9) width += 4;
    else if (c === 32) width += 1;
    else break;
  }
  return width;
}

function parseFrame(line: string): StackFrame | undefined {
  if (line.length > MAX_FRAME_LINE) return undefined;
  // Most lines are not frames; rejecting on the first word is far cheaper than the full pattern.
  let k = 0;
  while (k < line.length && (line.charCodeAt(k) === 9 || line.charCodeAt(k) === 32)) k++;
  if (line.charCodeAt(k) !== 97 || line.charCodeAt(k + 1) !== 116) return undefined;
  const m = FRAME_RE.exec(line);
  if (m === null) return undefined;
  const location = m[1]!;
  const source = m[2]!;
  let file: string | undefined;
  let lineNo: number | undefined;
  if (source.startsWith('Unknown Source') || source === 'Native Method' || source === '<generated>') {
    const colon = source.indexOf(':');
    if (colon > 0) lineNo = Number(source.slice(colon + 1)) || undefined;
  } else {
    const s = SOURCE_RE.exec(source);
    // A JVM source is a file name (`Foo.java`, R8's `SourceFile`); a bare word or `Type name` is another runtime.
    if (s === null || (!s[1]!.includes('.') && s[1] !== 'SourceFile')) return undefined;
    file = s[1]!;
    if (s[2] !== undefined) lineNo = Number(s[2]);
  }
  const qualified = stripModulePrefix(location);
  const dot = qualified.lastIndexOf('.');
  const frame: StackFrame = { inApp: false };
  if (dot > 0) {
    frame.module = qualified.slice(0, dot);
    frame.function = qualified.slice(dot + 1);
  } else {
    frame.function = qualified;
  }
  if (file !== undefined) frame.file = file;
  if (lineNo !== undefined) frame.line = lineNo;
  frame.inApp = !isLibrary(frame.module);
  return frame;
}

/** Drops `module@version/` and `loader/module/` prefixes while keeping a lambda hidden class's `/0x...` suffix. */
function stripModulePrefix(location: string): string {
  const slash = location.lastIndexOf('/');
  if (slash < 0) return location;
  const before = location.slice(0, slash);
  if (LAMBDA_HOST_RE.test(before)) {
    const prev = before.lastIndexOf('/');
    return prev < 0 ? location : location.slice(prev + 1);
  }
  return location.slice(slash + 1);
}

function isLibrary(cls: string | undefined): boolean {
  if (cls === undefined) return false;
  return LIBRARY_RE.test(cls) || GENERATED_RE.test(cls);
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
}

function parseThrowable(text: string, lenient: boolean): ParsedException | undefined {
  const m = text.length <= MAX_MESSAGE_CHARS * 4 ? HEADER_RE.exec(text) : null;
  if (m !== null) return { type: m[1]!, message: clip(m[2] ?? ''), frames: [] };
  if (!lenient) return undefined;
  const colon = text.indexOf(': ');
  if (colon < 0) return { type: clip(text.trim()), message: '', frames: [] };
  return { type: text.slice(0, colon).trim(), message: clip(text.slice(colon + 2)), frames: [] };
}

interface Pending {
  ex: ParsedException;
  /** Frames as printed: innermost first. */
  printed: StackFrame[];
  framesStarted: boolean;
  messageLines: number;
}

function parse(text: string): ParsedTrace | undefined {
  try {
    return parseLines(text.split('\n'));
  } catch {
    return undefined;
  }
}

function parseLines(lines: string[]): ParsedTrace | undefined {
  const chain: Pending[] = [];
  let current: Pending | undefined;
  /** Indentation of the `Suppressed:` block being skipped; its lines and its nested causes are all deeper. */
  let skipDepth: number | undefined;
  let rootCauseFirst = false;
  let frameCount = 0;

  const start = (ex: ParsedException): Pending => {
    const pending: Pending = { ex, printed: [], framesStarted: false, messageLines: 0 };
    chain.push(pending);
    return pending;
  };

  for (const raw of lines) {
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (skipDepth === undefined) {
      const frame = parseFrame(line);
      if (frame !== undefined) {
        current ??= start({ type: '', message: '', frames: [] });
        current.printed.push(frame);
        current.framesStarted = true;
        frameCount++;
        continue;
      }
    }
    const trimmed = line.trim();
    if (trimmed.length === 0 && (current === undefined || current.framesStarted) && skipDepth === undefined) {
      if (current === undefined) continue;
      break;
    }
    const indent = indentWidth(line);
    const causedBy = trimmed.startsWith('Caused by:');
    const wrappedBy = !causedBy && trimmed.startsWith('Wrapped by:');
    if (skipDepth !== undefined) {
      if (!((causedBy || wrappedBy) && indent < skipDepth)) continue;
      skipDepth = undefined;
    }
    if (current !== undefined && MORE_RE.test(line)) {
      current.framesStarted = true;
      continue;
    }
    if (current !== undefined && trimmed.startsWith('Suppressed:')) {
      skipDepth = Math.max(indent, 1);
      current.framesStarted = true;
      continue;
    }
    if (causedBy || wrappedBy) {
      // logback's root-cause-first rendering (`%rEx`) prints the root first and each wrapper after it.
      if (wrappedBy) rootCauseFirst = true;
      const rest = trimmed.slice(causedBy ? 10 : 11).trim();
      current = start(parseThrowable(rest, true)!);
      continue;
    }
    if (current === undefined) {
      const ex = parseThrowable(trimmed, false);
      if (ex !== undefined) current = start(ex);
      continue;
    }
    if (current.framesStarted) {
      // A frame shape this parser does not know should not cut the trace short; any other line ends it.
      if (trimmed.startsWith('at ')) continue;
      break;
    }
    // Before the first frame: either a multi-line message, or the real header after a log line that looked like one.
    const replacement = chain.length === 1 ? parseThrowable(trimmed, false) : undefined;
    if (
      replacement !== undefined &&
      !EXCEPTION_LIKE_RE.test(current.ex.type) &&
      EXCEPTION_LIKE_RE.test(replacement.type)
    ) {
      chain.length = 0;
      current = start(replacement);
      continue;
    }
    if (current.messageLines < MAX_MESSAGE_LINES && current.ex.message.length < MAX_MESSAGE_CHARS) {
      current.ex.message = clip(`${current.ex.message}\n${line}`);
      current.messageLines++;
    }
  }

  if (frameCount === 0) return undefined;
  const exceptions = chain.map((p) => {
    p.ex.frames = p.printed.reverse();
    p.ex.message = p.ex.message.trimEnd();
    return p.ex;
  });
  if (rootCauseFirst) exceptions.reverse();
  return { language: 'java', exceptions };
}

function detect(text: string): number {
  const window = text.length > DETECT_WINDOW ? text.slice(0, DETECT_WINDOW) : text;
  const hasFrame = window.includes('\tat ') || window.includes('    at ') || window.includes('\n at ');
  const jvmSource =
    window.includes('.java:') ||
    window.includes('.kt:') ||
    window.includes('.scala:') ||
    window.includes('(Native Method)') ||
    window.includes('(Unknown Source)') ||
    window.includes('(SourceFile:');
  let score = 0;
  if (hasFrame && jvmSource) score = 0.85;
  else if (jvmSource) score = 0.4;
  if (window.includes('Exception in thread "')) score += 0.15;
  if (score > 0 && window.includes('Caused by: ')) score += 0.1;
  // Other runtimes' exporters (OpenTelemetry PHP, for one) imitate this layout; their file names give them away.
  if (window.includes('.php:') || window.includes('.js:') || window.includes('.cs:line ')) score -= 0.6;
  return Math.max(0, Math.min(score, 1));
}

// The same frames recur across events; normalising is several regex passes, so results are memoised (bounded).
const KEY_CACHE_LIMIT = 20_000;
const keyCache = new Map<string, string>();

function normaliseClass(cls: string): string {
  return cls
    .replace(JDK_PROXY_PACKAGE_RE, 'jdk.proxy.')
    .replace(LAMBDA_CLASS_RE, '$$$$Lambda')
    .replace(PROXY_RE, '$$Proxy')
    .replace(CGLIB_RE, (_m, name: string) => `$$${name}`)
    .replace(BYTECODE_GEN_RE, (_m, name: string) => `$${name}`)
    .replace(JAVASSIST_RE, '_$$$$_jvst')
    .replace(ACCESSOR_RE, '$1')
    .replace(ANONYMOUS_CLASS_RE, '$$<anon>');
}

export const jvm: RuntimeSupport = {
  language: 'java',
  detect,
  parse,
  groupingKey(frame: RawFrame): string {
    const fn = frame.function ?? '?';
    const cacheKey = frame.module === undefined ? fn : `${frame.module}\u0000${fn}`;
    const cached = keyCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const method = fn.replace(METHOD_NUMBERING_RE, '');
    const key = frame.module === undefined ? method : `${normaliseClass(frame.module)}.${method}`;
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(cacheKey, key);
    return key;
  },
  isLibraryFrame(frame: RawFrame): boolean {
    return isLibrary(frame.module);
  },
};
