/**
 * @module OTLP/protobuf export requests, decoded lazily: a wire-level walk reads only what decides whether a
 * span or log record is an error (status code, event names, severity, attribute keys). Kept spans are then read
 * field by field with the wire reader too ({@link readSpan}); protobufjs decodes kept log records and, once per
 * resource and scope with kept items, their Resource and scope; attributes are always read with the wire reader.
 * Most spans are never decoded: the walk hands their locations to the trace buffer, which decodes a span only if its
 * trace is ever assembled.
 */
import type { Attributes, AttributeValue, ErrorEvent, TraceSpan } from '../../domain/index.js';
import type { DecodedExport, DeferredExport } from './decoded.js';
import { StringInterner } from './intern.js';
import {
  DEPTH_MARKER,
  EXCEPTION_EVENT_NAME,
  logErrorEvent,
  MAX_VALUE_DEPTH,
  type OtlpLogRecord,
  type OtlpScope,
  type OtlpSpan,
  type OtlpSpanEvent,
  type ResourceContext,
  resourceContext,
  SEVERITY_NUMBER_ERROR,
  STATUS_CODE_ERROR,
  serviceName,
  setAttribute,
  spanErrorEvents,
  toTraceSpan,
} from './map.js';
import {
  decodeMessage,
  InstrumentationScopeType,
  LogRecordType,
  type PbAttributes,
  type PbInstrumentationScope,
  type PbInt64,
  type PbLogRecord,
  type PbResource,
  ResourceType,
} from './proto.js';
import { type BufferedSpans, type RecentTraceBuffer, SPAN_INDEX_BYTES, traceKeyFromBytes } from './trace-buffer.js';
import { bytesEqual, bytesStartWith, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireReader } from './wire.js';

/** `field << 3 | wireType` of the fields the walk looks at. */
const TAG = {
  /** ExportTraceServiceRequest.resource_spans, ExportLogsServiceRequest.resource_logs, Resource*.resource,
   * Scope*.scope, Span.trace_id, KeyValue.key: all field 1, length-delimited. */
  field1: (1 << 3) | WIRE_LEN,
  /** Resource*.scope_*, ScopeSpans.spans, ScopeLogs.log_records, Span.Event.name: all field 2, length-delimited. */
  field2: (2 << 3) | WIRE_LEN,
  spanEvents: (11 << 3) | WIRE_LEN,
  spanStatus: (15 << 3) | WIRE_LEN,
  statusCode: (3 << 3) | WIRE_VARINT,
  logSeverityNumber: (2 << 3) | WIRE_VARINT,
  logAttributes: (6 << 3) | WIRE_LEN,
} as const;

const TRACE_ID_BYTES = 16;
const STACKTRACE_KEY = 'exception.stacktrace';
/**
 * Recent stack traces of every request decoded here, shared by their events: at most 512 traces and 2 MiB of
 * trace text (plus as much again for their strings), enough for the crash sites active at one time.
 */
const STACK_TRACES = new StringInterner(256, 512, 2 * 1024 * 1024);
const EXCEPTION_NAME = Buffer.from(EXCEPTION_EVENT_NAME);
const EXCEPTION_KEY_PREFIX = Buffer.from('exception.');

// ---- protobufjs messages to the neutral shapes of map.ts ----

/** AnyValue members (field << 3 | wire type). */
const ANY = {
  string: (1 << 3) | WIRE_LEN,
  bool: (2 << 3) | WIRE_VARINT,
  int: (3 << 3) | WIRE_VARINT,
  double: (4 << 3) | WIRE_FIXED64,
  array: (5 << 3) | WIRE_LEN,
  kvlist: (6 << 3) | WIRE_LEN,
  bytes: (7 << 3) | WIRE_LEN,
} as const;

function hex(bytes: Uint8Array): string {
  return bytes.length === 0 ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A fixed64 as its exact decimal string (a double would round nanosecond timestamps). */
function nanos(value: PbInt64): string {
  if (typeof value === 'number') return String(value);
  if (value.high === 0) return String(value.low >>> 0);
  return ((BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0)).toString();
}

/** Non-finite doubles are not JSON; keep them as the names JSON encoders use for them. */
function finite(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/**
 * Reads the AnyValue in `reader` up to `end`. Containers nested deeper than MAX_VALUE_DEPTH become the marker,
 * so the recursion here is bounded whatever the sender nests. The last member on the wire wins, as for oneofs.
 */
function anyValue(reader: WireReader, end: number, depth: number): AttributeValue {
  const outer = reader.limit;
  reader.limit = end;
  let value: AttributeValue = null;
  while (reader.pos < end) {
    const tag = reader.tag();
    if (tag === ANY.string) {
      value = reader.string();
    } else if (tag === ANY.int) {
      value = reader.int64();
    } else if (tag === ANY.bool) {
      value = reader.uint32() !== 0;
    } else if (tag === ANY.double) {
      value = finite(reader.double());
    } else if (tag === ANY.array || tag === ANY.kvlist) {
      const valueEnd = reader.lengthEnd();
      if (depth >= MAX_VALUE_DEPTH) value = DEPTH_MARKER;
      else if (tag === ANY.array) value = arrayValue(reader, valueEnd, depth + 1);
      else value = keyValueList(reader, valueEnd, depth + 1, {});
      reader.pos = valueEnd;
    } else if (tag === ANY.bytes) {
      const valueEnd = reader.lengthEnd();
      value = reader.buf.toString('base64', reader.pos, valueEnd);
      reader.pos = valueEnd;
    } else {
      // Includes string_value_strindex (8), which only means something inside a profiles request.
      reader.skip(tag & 7);
      value = null;
    }
  }
  reader.limit = outer;
  return value;
}

/** ArrayValue { repeated AnyValue values = 1 } */
function arrayValue(reader: WireReader, end: number, depth: number): AttributeValue[] {
  const outer = reader.limit;
  reader.limit = end;
  const values: AttributeValue[] = [];
  while (reader.pos < end) {
    const tag = reader.tag();
    if (tag === TAG.field1) {
      const valueEnd = reader.lengthEnd();
      values.push(anyValue(reader, valueEnd, depth));
      reader.pos = valueEnd;
    } else {
      reader.skip(tag & 7);
    }
  }
  reader.limit = outer;
  return values;
}

/** KeyValueList { repeated KeyValue values = 1 }, read into `into`. */
function keyValueList(reader: WireReader, end: number, depth: number, into: Attributes): Attributes {
  const outer = reader.limit;
  reader.limit = end;
  while (reader.pos < end) {
    const tag = reader.tag();
    if (tag === TAG.field1) {
      const valueEnd = reader.lengthEnd();
      keyValue(reader, valueEnd, depth, into);
      reader.pos = valueEnd;
    } else {
      reader.skip(tag & 7);
    }
  }
  reader.limit = outer;
  return into;
}

/** KeyValue { string key = 1; AnyValue value = 2 }, set on `into`. */
function keyValue(reader: WireReader, end: number, depth: number, into: Attributes): void {
  const outer = reader.limit;
  reader.limit = end;
  let key = '';
  let value: AttributeValue = null;
  while (reader.pos < end) {
    const tag = reader.tag();
    if (tag === TAG.field1) {
      key = reader.string();
    } else if (tag === TAG.field2) {
      const valueEnd = reader.lengthEnd();
      value = key === STACKTRACE_KEY ? stackTraceValue(reader, valueEnd, depth) : anyValue(reader, valueEnd, depth);
      reader.pos = valueEnd;
    } else {
      reader.skip(tag & 7);
    }
  }
  reader.limit = outer;
  // Plain assignment keeps V8 on fast shared hidden classes; only `__proto__` needs defineProperty.
  if (key === '__proto__') setAttribute(into, key, value);
  else into[key] = value;
}

/**
 * Stack traces repeat per crash site: an AnyValue that is just a string is interned ({@link StringInterner}), so
 * the events of one site share one string instead of each bringing its own ~1.5 KB copy. Anything else is read
 * as usual.
 */
function stackTraceValue(reader: WireReader, end: number, depth: number): AttributeValue {
  const start = reader.pos;
  const outer = reader.limit;
  reader.limit = end;
  if (reader.pos < end && reader.tag() === ANY.string) {
    const textEnd = reader.lengthEnd();
    if (textEnd === end) {
      const text = STACK_TRACES.decode(reader.buf, reader.pos, textEnd);
      reader.pos = end;
      reader.limit = outer;
      return text;
    }
  }
  reader.pos = start;
  reader.limit = outer;
  return anyValue(reader, end, depth);
}

/** Attributes from the KeyValue byte views the decoding schema yields. */
function keyValues(list: PbAttributes): Attributes {
  const attributes: Attributes = {};
  for (const bytes of list) keyValue(new WireReader(bytes), bytes.length, 0, attributes);
  return attributes;
}

/** Span, Span.Event and Status fields read by {@link readSpan} (field << 3 | wire type). */
const SPAN = {
  traceId: (1 << 3) | WIRE_LEN,
  spanId: (2 << 3) | WIRE_LEN,
  parentSpanId: (4 << 3) | WIRE_LEN,
  name: (5 << 3) | WIRE_LEN,
  kind: (6 << 3) | WIRE_VARINT,
  start: (7 << 3) | WIRE_FIXED64,
  end: (8 << 3) | WIRE_FIXED64,
  attributes: (9 << 3) | WIRE_LEN,
  events: (11 << 3) | WIRE_LEN,
  status: (15 << 3) | WIRE_LEN,
  eventTime: (1 << 3) | WIRE_FIXED64,
  eventName: (2 << 3) | WIRE_LEN,
  eventAttributes: (3 << 3) | WIRE_LEN,
  statusMessage: (2 << 3) | WIRE_LEN,
  statusCode: (3 << 3) | WIRE_VARINT,
} as const;

/** A length-delimited bytes field as lowercase hex ('' when empty), read straight from the request. */
function hexField(reader: WireReader): string {
  const end = reader.lengthEnd();
  const value = end === reader.pos ? '' : reader.buf.toString('hex', reader.pos, end);
  reader.pos = end;
  return value;
}

/** A fixed64 as its exact decimal string, read without a Long (a double would round nanosecond timestamps). */
function fixed64Nanos(reader: WireReader): string {
  const at = reader.pos;
  reader.skip(WIRE_FIXED64); // checks that the 8 bytes are there
  const low = reader.buf.readUInt32LE(at);
  const high = reader.buf.readUInt32LE(at + 4);
  // Below 2^53 a double is exact; real timestamps (~1.8e18) are above it.
  if (high < 0x200000) return String(high * 0x100000000 + low);
  return ((BigInt(high) << 32n) | BigInt(low)).toString();
}

/** Reads attributes (repeated KeyValue) field by field into `into`. */
function attributeField(reader: WireReader, into: Attributes): void {
  const end = reader.lengthEnd();
  keyValue(reader, end, 0, into);
  reader.pos = end;
}

/**
 * One Span read straight from the request bytes with the wire reader, for the spans that are kept (errors, and
 * spans of an assembled trace). It replaces a protobufjs decode plus a second walk over every attribute: it
 * allocates no message object, no Long per timestamp and no Buffer view per id and attribute. Scalars: the last
 * occurrence wins; a field with an unexpected wire type is skipped, like an unknown field.
 */
function readSpan(body: Buffer, start: number, end: number, withEvents: boolean): OtlpSpan {
  const reader = new WireReader(body, start, end);
  const span: OtlpSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    attributes: {},
    events: [],
    statusCode: 0,
    statusMessage: '',
  };
  while (reader.pos < end) {
    const tag = reader.tag();
    switch (tag) {
      case SPAN.traceId:
        span.traceId = hexField(reader);
        break;
      case SPAN.spanId:
        span.spanId = hexField(reader);
        break;
      case SPAN.parentSpanId:
        span.parentSpanId = hexField(reader);
        break;
      case SPAN.name:
        span.name = reader.string();
        break;
      case SPAN.kind:
        span.kind = reader.uint32() | 0; // an int32 enum
        break;
      case SPAN.start:
        span.startTimeUnixNano = fixed64Nanos(reader);
        break;
      case SPAN.end:
        span.endTimeUnixNano = fixed64Nanos(reader);
        break;
      case SPAN.attributes:
        attributeField(reader, span.attributes);
        break;
      case SPAN.events:
        if (withEvents) span.events.push(readSpanEvent(reader));
        else reader.skip(WIRE_LEN);
        break;
      case SPAN.status:
        readStatus(reader, span);
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return span;
}

function readSpanEvent(reader: WireReader): OtlpSpanEvent {
  const outer = reader.enter();
  const event: OtlpSpanEvent = { name: '', timeUnixNano: '0', attributes: {} };
  while (!reader.atEnd()) {
    const tag = reader.tag();
    if (tag === SPAN.eventTime) event.timeUnixNano = fixed64Nanos(reader);
    else if (tag === SPAN.eventName) event.name = reader.string();
    else if (tag === SPAN.eventAttributes) attributeField(reader, event.attributes);
    else reader.skip(tag & 7);
  }
  reader.leave(outer);
  return event;
}

/** A repeated Status field replaces the earlier one as a whole, as a full decode does. */
function readStatus(reader: WireReader, span: OtlpSpan): void {
  const outer = reader.enter();
  span.statusCode = 0;
  span.statusMessage = '';
  while (!reader.atEnd()) {
    const tag = reader.tag();
    if (tag === SPAN.statusCode) span.statusCode = reader.uint32() | 0;
    else if (tag === SPAN.statusMessage) span.statusMessage = reader.string();
    else reader.skip(tag & 7);
  }
  reader.leave(outer);
}

function otlpLogRecord(record: PbLogRecord): OtlpLogRecord {
  return {
    timeUnixNano: nanos(record.timeUnixNano),
    observedTimeUnixNano: nanos(record.observedTimeUnixNano),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    body: record.body.length === 0 ? undefined : anyValue(new WireReader(record.body), record.body.length, 0),
    attributes: keyValues(record.attributes),
    traceId: hex(record.traceId),
    spanId: hex(record.spanId),
  };
}

function decodeResource(body: Buffer, start: number, end: number): Attributes {
  if (start < 0) return {};
  return keyValues(decodeMessage<PbResource>(ResourceType, body.subarray(start, end)).attributes);
}

function decodeScope(body: Buffer, start: number, end: number): OtlpScope | undefined {
  if (start < 0) return undefined;
  const scope = decodeMessage<PbInstrumentationScope>(InstrumentationScopeType, body.subarray(start, end));
  return { name: scope.name, version: scope.version };
}

// ---- the spans of one request, as the trace buffer keeps them ----

/** Per buffered span: start and end of its bytes, start of its trace id (-1 if none), its resource's index. */
const SLOTS = 4;

class ProtobufSpans implements BufferedSpans {
  readonly bytes: number;
  readonly count: number;
  private readonly services: (string | undefined)[] = [];

  constructor(
    readonly body: Buffer,
    readonly traceKeys: ArrayLike<number>,
    /** {@link SLOTS} numbers per span. */
    readonly locations: ArrayLike<number>,
    /** Start and end of each ResourceSpans' resource (-1 when it has none). */
    private readonly resources: number[],
  ) {
    this.count = traceKeys.length;
    this.bytes = body.byteLength + this.count * SPAN_INDEX_BYTES;
  }

  rebase(body: Buffer, traceKeys: Int32Array, locations: Int32Array): ProtobufSpans {
    // Locations are offsets into the body, so they hold for a copy of it.
    return new ProtobufSpans(body, traceKeys, locations, this.resources);
  }

  spansOf(traceIdHex: string, key: number): TraceSpan[] {
    const spans: TraceSpan[] = [];
    for (let i = 0; i < this.count; i++) {
      if (this.traceKeys[i] !== key) continue;
      const at = i * SLOTS;
      const traceStart = this.locations[at + 2]!;
      if (traceStart < 0 || this.body.toString('hex', traceStart, traceStart + TRACE_ID_BYTES) !== traceIdHex) continue;
      try {
        const span = readSpan(this.body, this.locations[at]!, this.locations[at + 1]!, false);
        spans.push(toTraceSpan(span, this.service(this.locations[at + 3]!)));
      } catch {
        // The walk accepted the span's framing, but its contents are malformed: leave it out of the trace.
      }
    }
    return spans;
  }

  private service(resource: number): string {
    let service = this.services[resource];
    if (service === undefined) {
      const start = this.resources[resource * 2]!;
      service = serviceName(decodeResource(this.body, start, this.resources[resource * 2 + 1]!));
      this.services[resource] = service;
    }
    return service;
  }
}

// ---- traces ----

/** Spans kept in one ResourceSpans: per span, start and end of its bytes and of its ScopeSpans' scope. */
const KEPT_SLOTS = 4;

class TraceWalk {
  readonly reader: WireReader;
  itemCount = 0;
  /** Error spans found, across all resources. */
  keptCount = 0;
  /** Per ResourceSpans with error spans: its kept slots ({@link KEPT_SLOTS} per span), resource start and end. */
  private readonly keptResources: [number[], number, number][] = [];
  private readonly buffering: boolean;
  private readonly traceKeys: number[] = [];
  private readonly locations: number[] = [];
  private readonly resources: number[] = [];
  // What the walk learnt about the span it just read.
  private spanIsError = false;
  private spanTraceId = -1;

  constructor(
    readonly body: Buffer,
    buffering: boolean,
  ) {
    this.reader = new WireReader(body);
    this.buffering = buffering;
  }

  walk(): void {
    const reader = this.reader;
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.field1) this.resourceSpans();
      else reader.skip(tag & 7);
    }
  }

  bufferedSpans(): ProtobufSpans {
    return new ProtobufSpans(this.body, this.traceKeys, this.locations, this.resources);
  }

  private resourceSpans(): void {
    const reader = this.reader;
    const outer = reader.enter();
    const resourceIndex = this.resources.length / 2;
    let resourceStart = -1;
    let resourceEnd = -1;
    const kept: number[] = [];
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.field1) {
        resourceEnd = reader.lengthEnd();
        resourceStart = reader.pos;
        reader.pos = resourceEnd;
      } else if (tag === TAG.field2) {
        this.scopeSpans(kept, resourceIndex);
      } else {
        reader.skip(tag & 7);
      }
    }
    reader.leave(outer);
    this.resources.push(resourceStart, resourceEnd);
    if (kept.length > 0) {
      this.keptResources.push([kept, resourceStart, resourceEnd]);
      this.keptCount += kept.length / KEPT_SLOTS;
    }
  }

  /** The ErrorEvents of the error spans the walk found. Throws OtlpDecodeError on a malformed error span. */
  errorEvents(): ErrorEvent[] {
    const events: ErrorEvent[] = [];
    for (const [kept, resourceStart, resourceEnd] of this.keptResources) {
      this.mapKept(kept, resourceStart, resourceEnd, events);
    }
    return events;
  }

  private scopeSpans(kept: number[], resourceIndex: number): void {
    const reader = this.reader;
    const outer = reader.enter();
    let scopeStart = -1;
    let scopeEnd = -1;
    const keptBefore = kept.length;
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.field2) {
        const end = reader.lengthEnd();
        const start = reader.pos;
        this.span(end);
        this.itemCount++;
        if (this.spanIsError) kept.push(start, end, -1, -1);
        if (this.buffering) {
          const traceStart = this.spanTraceId;
          this.traceKeys.push(traceStart < 0 ? -1 : traceKeyFromBytes(this.body, traceStart));
          this.locations.push(start, end, traceStart, resourceIndex);
        }
      } else if (tag === TAG.field1) {
        scopeEnd = reader.lengthEnd();
        scopeStart = reader.pos;
        reader.pos = scopeEnd;
      } else {
        reader.skip(tag & 7);
      }
    }
    reader.leave(outer);
    fillScope(kept, keptBefore, scopeStart, scopeEnd);
  }

  /** Reads one span up to `end`, noting whether it is an error and where its trace id is. */
  private span(end: number): void {
    const reader = this.reader;
    const outer = reader.limit;
    reader.limit = end;
    let isError = false;
    let traceId = -1;
    while (reader.pos < end) {
      const tag = reader.tag();
      if (tag === TAG.field1) {
        const idEnd = reader.lengthEnd();
        traceId = idEnd - reader.pos === TRACE_ID_BYTES ? reader.pos : -1;
        reader.pos = idEnd;
      } else if (tag === TAG.spanStatus) {
        if (this.statusIsError()) isError = true;
      } else if (tag === TAG.spanEvents && !isError) {
        if (this.eventIsException()) isError = true;
      } else {
        reader.skip(tag & 7);
      }
    }
    reader.limit = outer;
    this.spanIsError = isError;
    this.spanTraceId = traceId;
  }

  private statusIsError(): boolean {
    const reader = this.reader;
    const outer = reader.enter();
    let code = 0;
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.statusCode) code = reader.uint32();
      else reader.skip(tag & 7);
    }
    reader.leave(outer);
    return code === STATUS_CODE_ERROR;
  }

  private eventIsException(): boolean {
    const reader = this.reader;
    const outer = reader.enter();
    let isException = false;
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.field2) {
        const end = reader.lengthEnd();
        isException = bytesEqual(this.body, reader.pos, end, EXCEPTION_NAME);
        reader.pos = end;
      } else {
        reader.skip(tag & 7);
      }
    }
    reader.leave(outer);
    return isException;
  }

  private mapKept(kept: number[], resourceStart: number, resourceEnd: number, events: ErrorEvent[]): void {
    const body = this.body;
    const resource = resourceContext(decodeResource(body, resourceStart, resourceEnd));
    let scopeAt = -2;
    let scope: OtlpScope | undefined;
    for (let i = 0; i < kept.length; i += KEPT_SLOTS) {
      if (kept[i + 2] !== scopeAt) {
        scopeAt = kept[i + 2]!;
        scope = decodeScope(body, scopeAt, kept[i + 3]!);
      }
      const span = readSpan(body, kept[i]!, kept[i + 1]!, true);
      for (const event of spanErrorEvents(span, resource, scope)) events.push(event);
    }
  }
}

/**
 * Decodes an ExportTraceServiceRequest body. Every span goes to `traceBuffer` (if given) by location only;
 * error spans are decoded and mapped to ErrorEvents. Throws OtlpDecodeError on malformed input.
 */
export function decodeTracesProtobuf(body: Buffer, traceBuffer?: RecentTraceBuffer): DecodedExport {
  const decoded = deferTracesProtobuf(body, traceBuffer);
  return { events: decoded.errorEvents(), itemCount: decoded.itemCount };
}

/**
 * Like {@link decodeTracesProtobuf}, but the error spans are only located here: their ErrorEvents are built when
 * `errorEvents()` is called, which the receiver does just before they are stored. A request's events then live for
 * the store call only, instead of also while other requests are read and decoded; under load, that was long enough
 * for V8 to promote many of them to the old generation, where they piled up as garbage until the next full GC.
 * The body must not change until then. Framing errors throw here; a malformed error span throws from `errorEvents()`,
 * and a request with error spans reaches `traceBuffer` only once its events were built.
 */
export function deferTracesProtobuf(body: Buffer, traceBuffer?: RecentTraceBuffer): DeferredExport {
  const walk = new TraceWalk(body, traceBuffer !== undefined);
  walk.walk();
  const buffer = (): void => {
    if (traceBuffer !== undefined && walk.itemCount > 0) traceBuffer.add(walk.bufferedSpans());
  };
  if (walk.keptCount === 0) {
    buffer();
    return { itemCount: walk.itemCount, pendingCount: 0, errorEvents: () => [] };
  }
  let built = false;
  return {
    itemCount: walk.itemCount,
    pendingCount: walk.keptCount,
    errorEvents: () => {
      if (built) throw new Error('errorEvents() was already called');
      built = true;
      const events = walk.errorEvents();
      buffer();
      return events;
    },
  };
}

// ---- logs ----

class LogsWalk {
  readonly reader: WireReader;
  readonly events: ErrorEvent[] = [];
  itemCount = 0;

  constructor(readonly body: Buffer) {
    this.reader = new WireReader(body);
  }

  walk(): void {
    const reader = this.reader;
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.field1) this.resourceLogs();
      else reader.skip(tag & 7);
    }
  }

  private resourceLogs(): void {
    const reader = this.reader;
    const outer = reader.enter();
    let resourceStart = -1;
    let resourceEnd = -1;
    const kept: number[] = [];
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.field1) {
        resourceEnd = reader.lengthEnd();
        resourceStart = reader.pos;
        reader.pos = resourceEnd;
      } else if (tag === TAG.field2) {
        this.scopeLogs(kept);
      } else {
        reader.skip(tag & 7);
      }
    }
    reader.leave(outer);
    if (kept.length === 0) return;
    const body = this.body;
    const resource: ResourceContext = resourceContext(decodeResource(body, resourceStart, resourceEnd));
    let scopeAt = -2;
    let scope: OtlpScope | undefined;
    for (let i = 0; i < kept.length; i += KEPT_SLOTS) {
      if (kept[i + 2] !== scopeAt) {
        scopeAt = kept[i + 2]!;
        scope = decodeScope(body, scopeAt, kept[i + 3]!);
      }
      const record = decodeMessage<PbLogRecord>(LogRecordType, body.subarray(kept[i]!, kept[i + 1]!));
      const event = logErrorEvent(otlpLogRecord(record), resource, scope);
      if (event !== undefined) this.events.push(event);
    }
  }

  private scopeLogs(kept: number[]): void {
    const reader = this.reader;
    const outer = reader.enter();
    let scopeStart = -1;
    let scopeEnd = -1;
    const keptBefore = kept.length;
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.field2) {
        const end = reader.lengthEnd();
        const start = reader.pos;
        this.itemCount++;
        if (this.logRecordIsError(end)) kept.push(start, end, -1, -1);
      } else if (tag === TAG.field1) {
        scopeEnd = reader.lengthEnd();
        scopeStart = reader.pos;
        reader.pos = scopeEnd;
      } else {
        reader.skip(tag & 7);
      }
    }
    reader.leave(outer);
    fillScope(kept, keptBefore, scopeStart, scopeEnd);
  }

  /** Reads one log record up to `end`: an error if severity >= ERROR or any attribute key is `exception.*`. */
  private logRecordIsError(end: number): boolean {
    const reader = this.reader;
    const outer = reader.limit;
    reader.limit = end;
    let isError = false;
    while (reader.pos < end) {
      const tag = reader.tag();
      if (tag === TAG.logSeverityNumber) {
        // Severity is an enum (int32): a negative value arrives as a huge uint32, which is not an error level.
        const severity = reader.uint32();
        if (severity >= SEVERITY_NUMBER_ERROR && severity <= 0x7fffffff) isError = true;
      } else if (tag === TAG.logAttributes && !isError) {
        if (this.keyIsException()) isError = true;
      } else {
        reader.skip(tag & 7);
      }
    }
    reader.limit = outer;
    return isError;
  }

  private keyIsException(): boolean {
    const reader = this.reader;
    const outer = reader.enter();
    let isException = false;
    while (!reader.atEnd()) {
      const tag = reader.tag();
      if (tag === TAG.field1) {
        const end = reader.lengthEnd();
        isException = bytesStartWith(this.body, reader.pos, end, EXCEPTION_KEY_PREFIX);
        reader.pos = end;
      } else {
        reader.skip(tag & 7);
      }
    }
    reader.leave(outer);
    return isException;
  }
}

/** Decodes an ExportLogsServiceRequest body into the ErrorEvents of its error records. */
export function decodeLogsProtobuf(body: Buffer): DecodedExport {
  const walk = new LogsWalk(body);
  walk.walk();
  return { events: walk.events, itemCount: walk.itemCount };
}

/**
 * The scope may come after the items on the wire, so the kept items of one ScopeSpans / ScopeLogs get its
 * location only once the whole message was read.
 */
function fillScope(kept: number[], from: number, scopeStart: number, scopeEnd: number): void {
  for (let i = from; i < kept.length; i += KEPT_SLOTS) {
    kept[i + 2] = scopeStart;
    kept[i + 3] = scopeEnd;
  }
}
