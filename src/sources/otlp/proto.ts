/**
 * @module The OTLP protobuf schema, loaded once from the package's proto/ directory with protobufjs, and the
 * message types Rounds decodes and encodes, with the TypeScript shapes of what decoding them yields.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { OtlpDecodeError } from './decoded.js';

/** src/sources/otlp and dist/sources/otlp are both three levels below the package root, next to proto/. */
const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));

const PROTO_FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
];

function loadSchema(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => PROTO_DIR + target;
  root.loadSync(PROTO_FILES, { keepCase: false });
  root.resolveAll();
  return root;
}

interface SchemaNode {
  nested?: Record<string, SchemaNode>;
  fields?: Record<string, { type: string }>;
  options?: Record<string, unknown>;
}

/** Message types the decoding schema leaves as raw bytes, for decode-protobuf to read with the wire reader. */
const RAW_TYPES = new Set(['KeyValue', 'AnyValue']);

/**
 * The schema Rounds decodes requests with. It differs from the published one in two ways:
 * - proto3 strings are UTF-8-verified by protobufjs 8, which throws on the first invalid byte; here they decode
 *   with U+FFFD replacement instead, so one bad attribute does not reject a request full of good errors;
 * - attributes (`repeated KeyValue`) and log bodies (`AnyValue`) stay raw bytes. protobufjs decodes a oneof by
 *   deleting its other members from each object, which made attribute values 3x slower to decode than the rest
 *   of a span, and it would recurse as deep as a sender nests arrays; the wire reader does neither.
 */
function decodingVariant(schema: protobuf.Root): protobuf.Root {
  const json = schema.toJSON() as unknown as SchemaNode;
  const rewrite = (node: SchemaNode): void => {
    if (node.fields) {
      node.options = { ...node.options, features: { utf8_validation: 'NONE' } };
      for (const field of Object.values(node.fields)) {
        if (RAW_TYPES.has(field.type.slice(field.type.lastIndexOf('.') + 1))) field.type = 'bytes';
      }
    }
    for (const child of Object.values(node.nested ?? {})) rewrite(child);
  };
  rewrite(json);
  const root = protobuf.Root.fromJSON(json as protobuf.INamespace);
  root.resolveAll();
  return root;
}

const schema = loadSchema();
const decoding = decodingVariant(schema);

// Decoding: the safe variant (see decodingVariant).
export const SpanType = decoding.lookupType('opentelemetry.proto.trace.v1.Span');
export const ResourceType = decoding.lookupType('opentelemetry.proto.resource.v1.Resource');
export const InstrumentationScopeType = decoding.lookupType('opentelemetry.proto.common.v1.InstrumentationScope');
export const LogRecordType = decoding.lookupType('opentelemetry.proto.logs.v1.LogRecord');

// Encoding and tests: the published schema.
export const ExportTraceServiceRequestType = schema.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
export const ExportLogsServiceRequestType = schema.lookupType(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
);
export const ExportTraceServiceResponseType = schema.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);
export const ExportLogsServiceResponseType = schema.lookupType(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse',
);
export const RpcStatusType = schema.lookupType('google.rpc.Status');
export const RetryInfoType = schema.lookupType('google.rpc.RetryInfo');
/**
 * The name of `google.protobuf.Any.type_url` as protobufjs knows it. protobufjs swaps any import of
 * google/protobuf/*.proto for its own bundled copy (same field numbers as ours), whose Any keeps the snake_case
 * name, so the field is looked up by number rather than assumed.
 */
export const ANY_TYPE_URL_FIELD = schema.lookupType('google.protobuf.Any').fieldsById[1]?.name ?? 'typeUrl';

/** protobufjs yields a Long for 64-bit fields (the `long` package is installed), a number when it is absent. */
export type PbInt64 = protobuf.Long | number;

/** Attributes as the decoding schema yields them: each KeyValue's encoded bytes, a view into the request. */
export type PbAttributes = Buffer[];

export interface PbResource {
  attributes: PbAttributes;
}

export interface PbInstrumentationScope {
  name: string;
  version: string;
}

export interface PbSpanEvent {
  timeUnixNano: PbInt64;
  name: string;
  attributes: PbAttributes;
}

export interface PbSpan {
  /** Views into the request buffer: copy or hex them before keeping them. */
  traceId: Buffer;
  spanId: Buffer;
  parentSpanId: Buffer;
  name: string;
  kind: number;
  startTimeUnixNano: PbInt64;
  endTimeUnixNano: PbInt64;
  attributes: PbAttributes;
  events: PbSpanEvent[];
  status?: { message: string; code: number } | null;
}

export interface PbLogRecord {
  timeUnixNano: PbInt64;
  observedTimeUnixNano: PbInt64;
  severityNumber: number;
  severityText: string;
  /** The encoded AnyValue; empty when the record has no body. */
  body: Buffer;
  attributes: PbAttributes;
  /** Views into the request buffer: copy or hex them before keeping them. */
  traceId: Buffer;
  spanId: Buffer;
  eventName: string;
}

/** Decodes one message; malformed bytes become an OtlpDecodeError naming the message type. */
export function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (error) {
    throw new OtlpDecodeError(`protobuf ${type.name} cannot be decoded`, { cause: error });
  }
}
