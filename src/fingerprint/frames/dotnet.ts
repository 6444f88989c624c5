/** @module .NET stack-trace support: `Exception.ToString()` output (Core and Framework) and logger renderings of it. */
import type { StackFrame } from '../../domain/index.js';
import type { ParsedException, ParsedTrace, RawFrame, RuntimeSupport } from './types.js';

/*
 * Frame fields: `module` is the declaring type as printed (`Ns.Class`, `Ns.Class.<>c`, `Ns.Class.<DoWork>d__5`),
 * `function` the method as printed (generic method arguments kept, `Select[TSource,TResult]`), `file`/`line` from
 * ` in <path>:line N` when the PDB was available.
 *
 * Grouping key: `<type>.<method>` with compiler-generated shapes folded back into the source name, since their
 * numbering changes whenever the surrounding code changes:
 *   `Ns.C.<DoWork>d__5.MoveNext` -> `Ns.C.DoWork` (async state machine; matches what .NET Core prints),
 *   `Ns.C.<>c.<Main>b__0_0` and `Ns.C.<>c__DisplayClass5_0.<Main>b__0` -> `Ns.C.Main.<lambda>`,
 *   `Ns.C.<Main>g__Local|2_0` -> `Ns.C.Main.Local`, `lambda_method12` -> `lambda_method`,
 *   generic method arguments `[T]` dropped. Generic arity (`List`1`) is kept: it is part of the type's name.
 *
 * Chain: the headers are printed outermost first, joined by `--->`; the innermost exception's frames come first
 * and each `--- End of inner exception stack trace ---` moves one level out.
 */

const MAX_FRAME_LINE = 4096;
const MAX_MESSAGE_CHARS = 8192;
const MAX_MESSAGE_LINES = 100;
const DETECT_WINDOW = 65_536;
const MAX_NAME_DEPTH = 8;
/** .NET Framework prints inner exceptions inline on the header line; real chains are far shorter than this. */
const MAX_INLINE_INNER = 32;

const LT = 60;
const GT = 62;
const LBRACKET = 91;
const RBRACKET = 93;
const DOT = 46;
const PLUS = 43;
const DIGITS_RE = /^\d+$/;
/** Type, optional HRESULT/errno (`Npgsql.PostgresException (0x80004005)`, `SocketException (111)`), message. */
const HEADER_RE = /^([A-Za-z_][\w.`+]*)(?: \((?:0x)?[0-9A-Fa-f]+\))?(?:: (.*))?$/;
const UNHANDLED_PREFIX_RE = /^Unhandled [Ee]xception[.:]\s*/;
const QUALIFIED_RE = /^[^\s[(]+(?:\[[^\]]*\])?$/;
const EXCEPTION_LIKE_RE = /(?:Exception|Error|Failure)$/;
const MAY_BE_HEADER_RE = /^(?:Unhandled [Ee]xception[.:]\s*)?[A-Za-z_][\w`+]*(?:\.|Exception|Error|Failure)/;
const GENERIC_ARGS_RE = /\[[^\]]*\]$/;
const STATE_MACHINE_RE = /^<(.+)>d(?:__\d+)?(?:`\d+)?$/;
const CLOSURE_CLASS_RE = /^<>c(?:__DisplayClass[\d_]+)?(?:`\d+)?$/;
const LAMBDA_RE = /^<(.*)>b__[\d_]+$/;
const LOCAL_FUNCTION_RE = /^<(.*)>g__([^|]+)\|[\d_]+$/;
const LAMBDA_METHOD_RE = /^lambda_method\d+$/;
const JVM_SOURCE_RE = /^(?:Native Method|Unknown Source|<generated>|SourceFile|[\w$-]+\.(?:java|kt|scala|groovy))$/;
const INNER_END = '--- End of inner exception stack trace ---';
const RETHROW_MARK = '--- End of stack trace from previous location';
const AGGREGATE_INNER_RE = /^--->\s*\(Inner Exception #\d+\)/;

const LIBRARY_PREFIXES = [
  'System.',
  'Microsoft.',
  'Newtonsoft.',
  'Npgsql.',
  'Grpc.',
  'Polly.',
  'NUnit.',
  'Xunit.',
  'xunit.',
  'Castle.',
  'Serilog.',
  'NLog.',
  'log4net.',
  'AutoMapper.',
  'MediatR.',
  'Dapper.',
  'StackExchange.',
  'MySqlConnector.',
  'MySql.',
  'Oracle.',
  'Pomelo.',
  'Swashbuckle.',
  'FluentValidation.',
  'Hangfire.',
  'MassTransit.',
  'RabbitMQ.',
  'Confluent.',
  'Azure.',
  'Amazon.',
  'Google.',
  'Moq.',
  'NSubstitute.',
  'Quartz.',
  'Refit.',
  'OpenTelemetry.',
  'Elastic.',
  'HotChocolate.',
  'Interop.',
  'Internal.',
];
const LIBRARY_RE = new RegExp(`^(?:${LIBRARY_PREFIXES.map((p) => p.replace(/\./g, '\\.')).join('|')})`);

function clip(message: string): string {
  return message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
}

/** Index of the last `.` outside `<...>` and `[...]`, which separates the declaring type from the method. */
function lastTopLevelDot(name: string): number {
  if (name.indexOf('<') < 0 && name.indexOf('[') < 0) return name.lastIndexOf('.');
  let depth = 0;
  let last = -1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === LT || c === LBRACKET) depth++;
    else if ((c === GT || c === RBRACKET) && depth > 0) depth--;
    else if (c === DOT && depth === 0) last = i;
  }
  return last;
}

function splitTypeSegments(type: string): string[] {
  const segments: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type.charCodeAt(i);
    if (c === LT || c === LBRACKET) depth++;
    else if ((c === GT || c === RBRACKET) && depth > 0) depth--;
    else if ((c === DOT || c === PLUS) && depth === 0) {
      segments.push(type.slice(from, i));
      from = i + 1;
    }
  }
  segments.push(type.slice(from));
  return segments.filter((s) => s.length > 0);
}

function isLibrary(type: string | undefined, fn: string | undefined): boolean {
  if (type === undefined) return fn?.startsWith('lambda_method') ?? false;
  return LIBRARY_RE.test(type);
}

/** `trimmed` is the line without surrounding whitespace. */
function parseFrame(trimmed: string): StackFrame | undefined {
  if (trimmed.length > MAX_FRAME_LINE || !trimmed.startsWith('at ')) return undefined;
  let signature = trimmed.slice(3);
  let file: string | undefined;
  let lineNo: number | undefined;
  const lineAt = signature.lastIndexOf(':line ');
  if (lineAt >= 0 && DIGITS_RE.test(signature.slice(lineAt + 6))) {
    // The first `) in ` ends the signature; the path after it may itself contain " in ".
    const inAt = signature.indexOf(') in ') + 1;
    if (inAt > 0 && inAt < lineAt) {
      file = signature.slice(inAt + 4, lineAt);
      lineNo = Number(signature.slice(lineAt + 6));
      signature = signature.slice(0, inAt);
    }
  }
  const paren = signature.indexOf('(');
  if (paren <= 0 || !signature.endsWith(')')) return undefined;
  const qualified = signature.slice(0, paren);
  const params = signature.slice(paren + 1, -1);
  // `file.js:1:2`, `Foo.java:12`, `Native Method` are other runtimes' frames; .NET parameters never hold a colon.
  if (!QUALIFIED_RE.test(qualified) || params.includes(':')) return undefined;
  if (JVM_SOURCE_RE.test(params)) return undefined;

  const frame: StackFrame = { inApp: false };
  const dot = lastTopLevelDot(qualified);
  if (dot > 0 && qualified[dot - 1] === '.') {
    frame.module = qualified.slice(0, dot - 1);
    frame.function = qualified.slice(dot);
  } else if (dot > 0) {
    frame.module = qualified.slice(0, dot);
    frame.function = qualified.slice(dot + 1);
  } else {
    frame.function = qualified;
  }
  if (file !== undefined) frame.file = file;
  if (lineNo !== undefined) frame.line = lineNo;
  frame.inApp = !isLibrary(frame.module, frame.function);
  return frame;
}

function parseHeader(text: string): ParsedException | undefined {
  const body = text.replace(UNHANDLED_PREFIX_RE, '');
  const m = body.length <= MAX_MESSAGE_CHARS * 4 ? HEADER_RE.exec(body) : null;
  if (m === null) return undefined;
  const type = m[1]!;
  if (!type.includes('.') && !EXCEPTION_LIKE_RE.test(type)) return undefined;
  return { type, message: clip(m[2] ?? ''), frames: [] };
}

/** Splits a .NET Framework style header that carries its inner exceptions inline: `A: x ---> B: y`. */
function parseHeaderLine(text: string): ParsedException[] | undefined {
  const parts = text.split(' ---> ', MAX_INLINE_INNER);
  const first = parseHeader(parts[0]!);
  if (first === undefined) return undefined;
  const out = [first];
  for (let i = 1; i < parts.length; i++) {
    const inner = parseHeader(parts[i]!.trim());
    if (inner === undefined) {
      first.message = clip(`${first.message} ---> ${parts[i]!}`);
    } else {
      out.push(inner);
    }
  }
  return out;
}

interface State {
  headers: ParsedException[];
  /** Frame sections as printed (innermost frame first); sections[0] belongs to the innermost exception. */
  sections: StackFrame[][];
  framesSeen: boolean;
  messageLines: number;
  inData: boolean;
}

function parse(text: string): ParsedTrace | undefined {
  try {
    return parseLines(text.split('\n'));
  } catch {
    return undefined;
  }
}

function parseLines(lines: string[]): ParsedTrace | undefined {
  const st: State = { headers: [], sections: [[]], framesSeen: false, messageLines: 0, inData: false };
  let started = false;
  let frameCount = 0;

  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.length === 0) {
      // .NET never prints a blank line inside a trace once frames have begun, so one ends it.
      if (st.framesSeen && !st.inData) break;
      continue;
    }
    const frame = parseFrame(trimmed);
    if (frame !== undefined) {
      if (!started) {
        st.headers.push({ type: '', message: '', frames: [] });
        started = true;
      }
      st.sections[st.sections.length - 1]!.push(frame);
      st.framesSeen = true;
      st.inData = false;
      frameCount++;
      continue;
    }
    if (!started) {
      // Most lines before the header are log text; a header needs a dotted or exception-like type.
      if (!MAY_BE_HEADER_RE.test(trimmed)) continue;
      const headers = parseHeaderLine(trimmed);
      if (headers !== undefined) {
        st.headers.push(...headers);
        started = true;
      }
      continue;
    }
    if (trimmed.startsWith('--->')) {
      // AggregateException re-lists every inner exception after its own trace; those are siblings, not causes.
      if (st.framesSeen || AGGREGATE_INNER_RE.test(trimmed)) break;
      const inner = parseHeaderLine(trimmed.slice(4).trim());
      if (inner !== undefined) {
        st.headers.push(...inner);
        st.messageLines = 0;
        continue;
      }
    }
    if (trimmed === INNER_END) {
      st.sections.push([]);
      st.framesSeen = true;
      st.inData = false;
      continue;
    }
    if (trimmed.startsWith(RETHROW_MARK)) continue;
    if (trimmed === 'Exception data:') {
      // Npgsql and others append `Exception data:` key/value lines to a frame section.
      st.inData = true;
      continue;
    }
    if (st.inData) continue;
    if (st.framesSeen) break;
    const last = st.headers[st.headers.length - 1]!;
    const replacement = st.headers.length === 1 ? parseHeader(trimmed) : undefined;
    if (replacement !== undefined && !EXCEPTION_LIKE_RE.test(last.type) && EXCEPTION_LIKE_RE.test(replacement.type)) {
      // The first "header" was a log line that happened to look like one.
      st.headers[0] = replacement;
      st.messageLines = 0;
      continue;
    }
    if (st.messageLines < MAX_MESSAGE_LINES && last.message.length < MAX_MESSAGE_CHARS) {
      last.message = clip(`${last.message}\n${trimmed}`);
      st.messageLines++;
    }
  }

  if (frameCount === 0) return undefined;
  const innermost = st.headers.length - 1;
  st.sections.forEach((section, k) => {
    const owner = st.headers[Math.max(innermost - k, 0)]!;
    // Printed innermost first; a later section (outer level) holds frames closer to the program's entry.
    owner.frames = [...section.reverse(), ...owner.frames];
  });
  for (const h of st.headers) h.message = h.message.trimEnd();
  return { language: 'dotnet', exceptions: st.headers };
}

function detect(text: string): number {
  const window = text.length > DETECT_WINDOW ? text.slice(0, DETECT_WINDOW) : text;
  let score = 0;
  if (window.includes(INNER_END) || window.includes(RETHROW_MARK)) score = 0.9;
  else if (window.includes(':line ') && window.includes(' in ') && window.includes('at ')) score = 0.85;
  else if (window.includes('\n   at ') || window.includes('\n         at ')) score = 0.5;
  if (score > 0 && window.includes(' ---> ')) score += 0.1;
  if (score > 0 && (window.includes('System.') || window.includes('Microsoft.'))) score += 0.05;
  if (window.includes('.java:') || window.includes('.js:') || window.includes('Traceback (most recent')) score -= 0.5;
  return Math.max(0, Math.min(score, 1));
}

// The same frames recur across events; folding compiler-generated names is several regex passes, so memoise (bounded).
const KEY_CACHE_LIMIT = 20_000;
const keyCache = new Map<string, string>();

function normaliseMember(name: string, depth: number): string {
  if (depth > MAX_NAME_DEPTH) return name;
  if (LAMBDA_METHOD_RE.test(name)) return 'lambda_method';
  const lambda = LAMBDA_RE.exec(name);
  if (lambda !== null) {
    const host = normaliseMember(lambda[1]!, depth + 1);
    return host.length > 0 ? `${host}.<lambda>` : '<lambda>';
  }
  const local = LOCAL_FUNCTION_RE.exec(name);
  if (local !== null) return `${normaliseMember(local[1]!, depth + 1)}.${local[2]!}`;
  const stateMachine = STATE_MACHINE_RE.exec(name);
  if (stateMachine !== null) return normaliseMember(stateMachine[1]!, depth + 1);
  return name;
}

export const dotnet: RuntimeSupport = {
  language: 'dotnet',
  detect,
  parse,
  groupingKey(frame: RawFrame): string {
    const cacheKey = `${frame.module ?? ''}\u0000${frame.function ?? ''}`;
    const cached = keyCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const key = computeKey(frame);
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(cacheKey, key);
    return key;
  },
  isLibraryFrame(frame: RawFrame): boolean {
    return isLibrary(frame.module, frame.function);
  },
};

function computeKey(frame: RawFrame): string {
  const segments = frame.module === undefined ? [] : splitTypeSegments(frame.module);
  let fn = (frame.function ?? '?').replace(GENERIC_ARGS_RE, '');
  const owner = segments[segments.length - 1];
  if (fn === 'MoveNext' && owner !== undefined && STATE_MACHINE_RE.test(owner)) {
    segments.pop();
    fn = owner;
  }
  while (segments.length > 0 && CLOSURE_CLASS_RE.test(segments[segments.length - 1]!)) segments.pop();
  segments.push(normaliseMember(fn, 0));
  return segments.join('.');
}
