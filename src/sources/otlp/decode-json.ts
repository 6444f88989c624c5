/**
 * @module OTLP/JSON export requests. Lenient where senders differ (lowerCamelCase or snake_case keys, int64 as
 * number or string, enums as ints or names, unknown fields ignored), strict where a wrong value would be
 * misread: ids must be hex of the right length, and a value of the wrong JSON type is an OtlpDecodeError that
 * names its path instead of a TypeError deep in the mapping.
 *
 * There is no regex prefilter: `JSON.parse` cannot be skipped (every span must be counted and reach the trace
 * buffer), and after it the per-span error check costs less than a regex pass over the text would.
 */
import type { Attributes, AttributeValue, ErrorEvent, TraceSpan } from '../../domain/index.js';
import { type DecodedExport, OtlpDecodeError } from './decoded.js';
import {
  DEPTH_MARKER,
  EXCEPTION_EVENT_NAME,
  isExceptionKey,
  logErrorEvent,
  MAX_VALUE_DEPTH,
  type OtlpLogRecord,
  type OtlpScope,
  type OtlpSpan,
  type ResourceContext,
  resourceContext,
  SEVERITY_NUMBER_ERROR,
  STATUS_CODE_ERROR,
  serviceName,
  setAttribute,
  spanErrorEvents,
  toTraceSpan,
} from './map.js';
import { type BufferedSpans, type RecentTraceBuffer, SPAN_INDEX_BYTES, traceKeyFromHex } from './trace-buffer.js';

type JsonObject = { [key: string]: unknown };

const TRACE_ID = /^[0-9a-fA-F]{32}$/;
const SPAN_ID = /^[0-9a-fA-F]{16}$/;
const UNSIGNED_DECIMAL = /^\d+$/;
const SIGNED_DECIMAL = /^-?\d+$/;
const LEADING_ZEROS = /^0+(?=\d)/;
const SIGNED_LEADING_ZEROS = /^(-?)0+(?=\d)/;

/** Enum names some senders use instead of numbers (ProtoJSON allows both; the OTLP spec only the numbers). */
const SPAN_KINDS = new Map(
  ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'].map((name, i) => [`SPAN_KIND_${name}`, i]),
);
const STATUS_CODES = new Map(['UNSET', 'OK', 'ERROR'].map((name, i) => [`STATUS_CODE_${name}`, i]));
const SEVERITY_NUMBERS = new Map(
  ['UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'INFO', 'INFO2']
    .concat(['INFO3', 'INFO4', 'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3', 'ERROR4', 'FATAL'])
    .concat(['FATAL2', 'FATAL3', 'FATAL4'])
    .map((name, i) => [`SEVERITY_NUMBER_${name}`, i]),
);

function fail(path: string, expected: string): never {
  throw new OtlpDecodeError(`${path}: expected ${expected}`);
}

/** A field under its lowerCamelCase or its snake_case name; JSON null reads as absent, as in ProtoJSON. */
function field(object: JsonObject, camel: string, snake: string): unknown {
  const value = object[camel];
  if (value !== undefined && value !== null) return value;
  const other = object[snake];
  return other === null ? undefined : other;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayField(object: JsonObject, camel: string, snake: string, path: () => string): unknown[] {
  const value = field(object, camel, snake);
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${path()}.${camel}`, 'an array');
  return value;
}

function objectAt(items: unknown[], index: number, path: () => string): JsonObject {
  const item = items[index];
  if (!isObject(item)) fail(`${path()}[${index}]`, 'an object');
  return item;
}

function optionalObject(object: JsonObject, camel: string, snake: string, path: () => string): JsonObject | undefined {
  const value = field(object, camel, snake);
  if (value === undefined) return undefined;
  if (!isObject(value)) fail(`${path()}.${camel}`, 'an object');
  return value;
}

function stringField(object: JsonObject, camel: string, snake: string, path: () => string): string {
  const value = field(object, camel, snake);
  if (value === undefined) return '';
  if (typeof value !== 'string') fail(`${path()}.${camel}`, 'a string');
  return value;
}

function hexId(object: JsonObject, camel: string, snake: string, pattern: RegExp, path: () => string): string {
  const value = field(object, camel, snake);
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || !pattern.test(value)) {
    fail(`${path()}.${camel}`, `${pattern === TRACE_ID ? 32 : 16} hex characters`);
  }
  return value.toLowerCase();
}

function enumField(
  object: JsonObject,
  camel: string,
  snake: string,
  names: ReadonlyMap<string, number>,
  path: () => string,
): number {
  const value = field(object, camel, snake);
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const named = names.get(value);
    if (named !== undefined) return named;
    if (SIGNED_DECIMAL.test(value)) return Number(value);
  }
  return fail(`${path()}.${camel}`, 'an enum number or name');
}

/** A fixed64 nanosecond time as its canonical decimal string ('0' when absent). */
function nanosField(object: JsonObject, camel: string, snake: string, path: () => string): string {
  const value = field(object, camel, snake);
  if (value === undefined) return '0';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value).toString();
  if (typeof value === 'string' && UNSIGNED_DECIMAL.test(value)) return value.replace(LEADING_ZEROS, '');
  return fail(`${path()}.${camel}`, 'a non-negative integer (number or decimal string)');
}

function int64Value(value: unknown, path: string): number | string {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && SIGNED_DECIMAL.test(value)) {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value.replace(SIGNED_LEADING_ZEROS, '$1');
  }
  return fail(path, 'an integer (number or decimal string)');
}

function doubleValue(value: unknown, path: string): number | string {
  if (typeof value === 'number') return value;
  // ProtoJSON writes the non-finite doubles as these strings; keep them as strings, as the protobuf path does.
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fail(path, 'a number');
}

function anyValue(value: unknown, depth: number, path: string): AttributeValue {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) fail(path, 'an AnyValue object');
  let member = field(value, 'stringValue', 'string_value');
  if (member !== undefined) {
    if (typeof member !== 'string') fail(`${path}.stringValue`, 'a string');
    return member;
  }
  member = field(value, 'boolValue', 'bool_value');
  if (member !== undefined) {
    if (typeof member !== 'boolean') fail(`${path}.boolValue`, 'a boolean');
    return member;
  }
  member = field(value, 'intValue', 'int_value');
  if (member !== undefined) return int64Value(member, `${path}.intValue`);
  member = field(value, 'doubleValue', 'double_value');
  if (member !== undefined) return doubleValue(member, `${path}.doubleValue`);
  member = field(value, 'arrayValue', 'array_value');
  if (member !== undefined) {
    if (depth >= MAX_VALUE_DEPTH) return DEPTH_MARKER;
    if (!isObject(member)) fail(`${path}.arrayValue`, 'an object');
    const items = arrayField(member, 'values', 'values', () => `${path}.arrayValue`);
    return items.map((item, index) => anyValue(item, depth + 1, `${path}.arrayValue.values[${index}]`));
  }
  member = field(value, 'kvlistValue', 'kvlist_value');
  if (member !== undefined) {
    if (depth >= MAX_VALUE_DEPTH) return DEPTH_MARKER;
    if (!isObject(member)) fail(`${path}.kvlistValue`, 'an object');
    return keyValues(member, 'values', 'values', depth + 1, () => `${path}.kvlistValue`);
  }
  member = field(value, 'bytesValue', 'bytes_value');
  if (member !== undefined) {
    // Bytes are base64 in ProtoJSON (only ids are hex in OTLP); the protobuf path encodes them the same way.
    if (typeof member !== 'string') fail(`${path}.bytesValue`, 'a base64 string');
    return Buffer.from(member, 'base64').toString('base64');
  }
  return null;
}

function keyValues(object: JsonObject, camel: string, snake: string, depth: number, path: () => string): Attributes {
  const list = arrayField(object, camel, snake, path);
  const attributes: Attributes = {};
  for (let i = 0; i < list.length; i++) {
    const entry = objectAt(list, i, () => `${path()}.${camel}`);
    const key = field(entry, 'key', 'key');
    if (typeof key !== 'string') fail(`${path()}.${camel}[${i}].key`, 'a string');
    const value = anyValue(field(entry, 'value', 'value'), depth, `${path()}.${camel}[${i}].value`);
    if (key === '__proto__') setAttribute(attributes, key, value);
    else attributes[key] = value;
  }
  return attributes;
}

function scopeOf(container: JsonObject, path: () => string): OtlpScope | undefined {
  const scope = optionalObject(container, 'scope', 'scope', path);
  if (scope === undefined) return undefined;
  const scopePath = () => `${path()}.scope`;
  return {
    name: stringField(scope, 'name', 'name', scopePath),
    version: stringField(scope, 'version', 'version', scopePath),
  };
}

function resourceAttributes(container: JsonObject, path: () => string): Attributes {
  const resource = optionalObject(container, 'resource', 'resource', path);
  return resource === undefined ? {} : keyValues(resource, 'attributes', 'attributes', 0, () => `${path()}.resource`);
}

function parseRequest(body: Buffer): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new OtlpDecodeError('request body is not valid JSON', { cause: error });
  }
  if (!isObject(parsed)) fail('request', 'a JSON object');
  return parsed;
}

// ---- traces ----

/** The span fields the error check reads; everything else is read only for kept or assembled spans. */
function spanIsError(span: JsonObject, path: () => string): boolean {
  const status = optionalObject(span, 'status', 'status', path);
  if (
    status !== undefined &&
    enumField(status, 'code', 'code', STATUS_CODES, () => `${path()}.status`) === STATUS_CODE_ERROR
  ) {
    return true;
  }
  const events = arrayField(span, 'events', 'events', path);
  for (let i = 0; i < events.length; i++) {
    const event = objectAt(events, i, () => `${path()}.events`);
    if (field(event, 'name', 'name') === EXCEPTION_EVENT_NAME) return true;
  }
  return false;
}

function otlpSpan(span: JsonObject, withEvents: boolean, path: () => string): OtlpSpan {
  const status = optionalObject(span, 'status', 'status', path);
  const statusPath = () => `${path()}.status`;
  const events: OtlpSpan['events'] = [];
  if (withEvents) {
    const list = arrayField(span, 'events', 'events', path);
    for (let i = 0; i < list.length; i++) {
      const eventPath = () => `${path()}.events[${i}]`;
      const event = objectAt(list, i, () => `${path()}.events`);
      events.push({
        name: stringField(event, 'name', 'name', eventPath),
        timeUnixNano: nanosField(event, 'timeUnixNano', 'time_unix_nano', eventPath),
        attributes: keyValues(event, 'attributes', 'attributes', 0, eventPath),
      });
    }
  }
  return {
    traceId: hexId(span, 'traceId', 'trace_id', TRACE_ID, path),
    spanId: hexId(span, 'spanId', 'span_id', SPAN_ID, path),
    parentSpanId: hexId(span, 'parentSpanId', 'parent_span_id', SPAN_ID, path),
    name: stringField(span, 'name', 'name', path),
    kind: enumField(span, 'kind', 'kind', SPAN_KINDS, path),
    startTimeUnixNano: nanosField(span, 'startTimeUnixNano', 'start_time_unix_nano', path),
    endTimeUnixNano: nanosField(span, 'endTimeUnixNano', 'end_time_unix_nano', path),
    attributes: keyValues(span, 'attributes', 'attributes', 0, path),
    events,
    statusCode: status === undefined ? 0 : enumField(status, 'code', 'code', STATUS_CODES, statusPath),
    statusMessage: status === undefined ? '' : stringField(status, 'message', 'message', statusPath),
  };
}

/**
 * A JSON request as the trace buffer keeps it: the body itself and one trace key per span. The parsed objects
 * are not kept: a parse tree pins ~1.6x the body in the JS heap, and retaining tens of MiB of small objects made
 * every major GC mark them, which more than doubled the cost of each request. Assembling re-parses instead.
 */
class JsonSpans implements BufferedSpans {
  readonly count: number;
  readonly bytes: number;

  /** Spans are found by walking the parsed request again: no offsets. */
  readonly locations: ArrayLike<number> = [];

  constructor(
    readonly body: Buffer,
    readonly traceKeys: ArrayLike<number>,
  ) {
    this.count = traceKeys.length;
    this.bytes = body.byteLength + this.count * SPAN_INDEX_BYTES;
  }

  rebase(body: Buffer, traceKeys: Int32Array): JsonSpans {
    return new JsonSpans(body, traceKeys);
  }

  spansOf(traceIdHex: string, key: number): TraceSpan[] {
    const found: TraceSpan[] = [];
    // Re-parsing costs milliseconds per request: only for a request that holds a span of this trace key. (Parsing
    // first made every assembly re-parse every buffered JSON request: ~1.4 s of CPU per request in a fresh daemon,
    // where most errors are sampled; bench/otlp-e2e.bench.ts, HTTP/JSON.)
    if (!holdsKey(this.traceKeys, this.count, key)) return found;
    try {
      // Walks the request in the order decodeTracesJson did, so span n here is span n of traceKeys.
      let n = 0;
      const request = reparse(this);
      const resourceSpans = arrayField(request, 'resourceSpans', 'resource_spans', () => 'request');
      for (let i = 0; i < resourceSpans.length; i++) {
        const rs = objectAt(resourceSpans, i, () => 'resourceSpans');
        let service: string | undefined;
        const scopeSpans = arrayField(rs, 'scopeSpans', 'scope_spans', () => 'resourceSpans');
        for (let j = 0; j < scopeSpans.length; j++) {
          const spans = arrayField(
            objectAt(scopeSpans, j, () => 'scopeSpans'),
            'spans',
            'spans',
            () => 'scopeSpans',
          );
          for (let k = 0; k < spans.length; k++) {
            if (this.traceKeys[n++] !== key) continue;
            const span = objectAt(spans, k, () => 'spans');
            if (hexId(span, 'traceId', 'trace_id', TRACE_ID, () => 'span') !== traceIdHex) continue;
            service ??= serviceName(resourceAttributes(rs, () => 'resourceSpans'));
            try {
              found.push(
                toTraceSpan(
                  otlpSpan(span, false, () => 'span'),
                  service,
                ),
              );
            } catch {
              // Only the fields the error check reads were validated on receipt; leave a malformed span out.
            }
          }
        }
      }
    } catch {
      // Everything walked here was validated when the request arrived; an assembly must never fail regardless.
    }
    return found;
  }
}

/**
 * The last buffered request re-parsed, until the event loop's next check phase: the receiver assembles the
 * sampled traces of a request one after another, and most come from that same request, so it is parsed once.
 */
let reparsed: { spans: JsonSpans; request: JsonObject } | undefined;

function reparse(spans: JsonSpans): JsonObject {
  if (reparsed?.spans === spans) return reparsed.request;
  if (reparsed === undefined) {
    setImmediate(() => {
      reparsed = undefined;
    });
  }
  reparsed = { spans, request: parseRequest(spans.body) };
  return reparsed.request;
}

function holdsKey(traceKeys: ArrayLike<number>, count: number, key: number): boolean {
  for (let i = 0; i < count; i++) if (traceKeys[i] === key) return true;
  return false;
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest body. Every span goes to `traceBuffer` (if given); error spans
 * are mapped to ErrorEvents. Throws OtlpDecodeError on malformed input.
 */
export function decodeTracesJson(body: Buffer, traceBuffer?: RecentTraceBuffer): DecodedExport {
  const request = parseRequest(body);
  const events: ErrorEvent[] = [];
  let itemCount = 0;
  const traceKeys: number[] | undefined = traceBuffer === undefined ? undefined : [];
  const resourceSpans = arrayField(request, 'resourceSpans', 'resource_spans', () => 'request');
  for (let i = 0; i < resourceSpans.length; i++) {
    const rsPath = () => `resourceSpans[${i}]`;
    const rs = objectAt(resourceSpans, i, () => 'resourceSpans');
    const attributes = resourceAttributes(rs, rsPath);
    let resource: ResourceContext | undefined;
    const scopeSpans = arrayField(rs, 'scopeSpans', 'scope_spans', rsPath);
    for (let j = 0; j < scopeSpans.length; j++) {
      const ssPath = () => `${rsPath()}.scopeSpans[${j}]`;
      const ss = objectAt(scopeSpans, j, () => `${rsPath()}.scopeSpans`);
      let scope: OtlpScope | undefined | null = null;
      const spans = arrayField(ss, 'spans', 'spans', ssPath);
      itemCount += spans.length;
      for (let k = 0; k < spans.length; k++) {
        const spanPath = () => `${ssPath()}.spans[${k}]`;
        const span = objectAt(spans, k, () => `${ssPath()}.spans`);
        const traceId = hexId(span, 'traceId', 'trace_id', TRACE_ID, spanPath);
        hexId(span, 'spanId', 'span_id', SPAN_ID, spanPath);
        if (spanIsError(span, spanPath)) {
          resource ??= resourceContext(attributes);
          if (scope === null) scope = scopeOf(ss, ssPath);
          for (const event of spanErrorEvents(otlpSpan(span, true, spanPath), resource, scope)) events.push(event);
        }
        traceKeys?.push(traceId === '' ? -1 : traceKeyFromHex(traceId));
      }
    }
  }
  if (traceBuffer !== undefined && traceKeys !== undefined && itemCount > 0) {
    traceBuffer.add(new JsonSpans(body, traceKeys));
  }
  return { events, itemCount };
}

// ---- logs ----

function logRecordIsError(record: JsonObject, path: () => string): boolean {
  if (enumField(record, 'severityNumber', 'severity_number', SEVERITY_NUMBERS, path) >= SEVERITY_NUMBER_ERROR) {
    return true;
  }
  const attributes = arrayField(record, 'attributes', 'attributes', path);
  for (let i = 0; i < attributes.length; i++) {
    const key = field(
      objectAt(attributes, i, () => `${path()}.attributes`),
      'key',
      'key',
    );
    if (typeof key === 'string' && isExceptionKey(key)) return true;
  }
  return false;
}

function otlpLogRecord(record: JsonObject, path: () => string): OtlpLogRecord {
  const body = field(record, 'body', 'body');
  return {
    timeUnixNano: nanosField(record, 'timeUnixNano', 'time_unix_nano', path),
    observedTimeUnixNano: nanosField(record, 'observedTimeUnixNano', 'observed_time_unix_nano', path),
    severityNumber: enumField(record, 'severityNumber', 'severity_number', SEVERITY_NUMBERS, path),
    severityText: stringField(record, 'severityText', 'severity_text', path),
    body: body === undefined ? undefined : anyValue(body, 0, `${path()}.body`),
    attributes: keyValues(record, 'attributes', 'attributes', 0, path),
    traceId: hexId(record, 'traceId', 'trace_id', TRACE_ID, path),
    spanId: hexId(record, 'spanId', 'span_id', SPAN_ID, path),
  };
}

/** Decodes an OTLP/JSON ExportLogsServiceRequest body into the ErrorEvents of its error records. */
export function decodeLogsJson(body: Buffer): DecodedExport {
  const request = parseRequest(body);
  const events: ErrorEvent[] = [];
  let itemCount = 0;
  const resourceLogs = arrayField(request, 'resourceLogs', 'resource_logs', () => 'request');
  for (let i = 0; i < resourceLogs.length; i++) {
    const rlPath = () => `resourceLogs[${i}]`;
    const rl = objectAt(resourceLogs, i, () => 'resourceLogs');
    let resource: ResourceContext | undefined;
    const scopeLogs = arrayField(rl, 'scopeLogs', 'scope_logs', rlPath);
    for (let j = 0; j < scopeLogs.length; j++) {
      const slPath = () => `${rlPath()}.scopeLogs[${j}]`;
      const sl = objectAt(scopeLogs, j, () => `${rlPath()}.scopeLogs`);
      let scope: OtlpScope | undefined | null = null;
      const records = arrayField(sl, 'logRecords', 'log_records', slPath);
      itemCount += records.length;
      for (let k = 0; k < records.length; k++) {
        const recordPath = () => `${slPath()}.logRecords[${k}]`;
        const record = objectAt(records, k, () => `${slPath()}.logRecords`);
        if (!logRecordIsError(record, recordPath)) continue;
        resource ??= resourceContext(resourceAttributes(rl, rlPath));
        if (scope === null) scope = scopeOf(sl, slPath);
        const event = logErrorEvent(otlpLogRecord(record, recordPath), resource, scope);
        if (event !== undefined) events.push(event);
      }
    }
  }
  return { events, itemCount };
}
