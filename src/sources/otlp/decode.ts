/**
 * @module The OTLP entry points the transports call: decode an export request body (protobuf or JSON, traces
 * or logs) into ErrorEvents, and encode the responses the spec prescribes: an empty Export*ServiceResponse on
 * success, a google.rpc.Status (optionally with RetryInfo) on failure, each in the request's encoding.
 */

import { decodeLogsJson, decodeTracesJson } from './decode-json.js';
import { decodeLogsProtobuf, decodeTracesProtobuf, deferTracesProtobuf } from './decode-protobuf.js';
import type { DecodedExport, DeferredExport, OtlpEncoding, OtlpSignal } from './decoded.js';
import {
  ANY_TYPE_URL_FIELD,
  ExportLogsServiceResponseType,
  ExportTraceServiceResponseType,
  RetryInfoType,
  RpcStatusType,
} from './proto.js';
import type { RecentTraceBuffer } from './trace-buffer.js';

const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** Success responses never vary: `partial_success` stays unset (the spec requires it on full success). */
const EMPTY_RESPONSE = {
  traces: Buffer.from(ExportTraceServiceResponseType.encode(ExportTraceServiceResponseType.create({})).finish()),
  logs: Buffer.from(ExportLogsServiceResponseType.encode(ExportLogsServiceResponseType.create({})).finish()),
} as const;
const EMPTY_JSON_RESPONSE = Buffer.from('{}');

/**
 * Decodes one export request body. An empty body is a valid empty request. Spans of a traces request are also
 * recorded in `traceBuffer`, when given, so an error's trace can be assembled later; the buffer keeps its own
 * copy of the body, so the caller's body can be dropped (or reused) as soon as this returns.
 * @throws OtlpDecodeError when the body is not a well-formed request of that signal and encoding.
 */
export function decodeExportRequest(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  body: Buffer,
  traceBuffer?: RecentTraceBuffer,
): DecodedExport {
  if (body.byteLength === 0) return { events: [], itemCount: 0 };
  if (signal === 'traces') {
    return encoding === 'protobuf' ? decodeTracesProtobuf(body, traceBuffer) : decodeTracesJson(body, traceBuffer);
  }
  return encoding === 'protobuf' ? decodeLogsProtobuf(body) : decodeLogsJson(body);
}

/**
 * {@link decodeExportRequest} for the receiver: protobuf traces (the bulk of OTLP traffic) have their ErrorEvents
 * built only when `errorEvents()` is called ({@link deferTracesProtobuf}); the other kinds are decoded at once.
 * @throws OtlpDecodeError when the body is not a well-formed request (and later from `errorEvents()` when an error
 * span of a protobuf traces request is malformed).
 */
export function deferExportRequest(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  body: Buffer,
  traceBuffer?: RecentTraceBuffer,
): DeferredExport {
  if (signal === 'traces' && encoding === 'protobuf' && body.byteLength > 0) {
    return deferTracesProtobuf(body, traceBuffer);
  }
  const { events, itemCount } = decodeExportRequest(signal, encoding, body, traceBuffer);
  return { itemCount, pendingCount: events.length, errorEvents: () => events };
}

/** The body of a successful export response: an empty Export*ServiceResponse. */
export function encodeExportResponse(signal: OtlpSignal, encoding: OtlpEncoding): Buffer {
  return encoding === 'protobuf' ? EMPTY_RESPONSE[signal] : EMPTY_JSON_RESPONSE;
}

export interface StatusBody {
  /** A gRPC status code (google.rpc.Code). */
  code: number;
  message: string;
  /** When set, a google.rpc.RetryInfo detail tells the client how long to wait before retrying. */
  retryDelaySeconds?: number;
}

function retryDelay(seconds: number): { seconds: number; nanos: number } {
  const whole = Math.floor(seconds);
  return { seconds: whole, nanos: Math.round((seconds - whole) * 1e9) };
}

/** A google.rpc.Status in the request's encoding: the body of OTLP/HTTP failures, and gRPC status details. */
export function encodeStatus(encoding: OtlpEncoding, status: StatusBody): Buffer {
  const delay =
    status.retryDelaySeconds === undefined || !(status.retryDelaySeconds >= 0)
      ? undefined
      : retryDelay(status.retryDelaySeconds);
  if (encoding === 'json') {
    // ProtoJSON: an Any is its type URL under "@type" plus the message's fields; a Duration is "<seconds>s".
    const details =
      delay === undefined
        ? []
        : [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${(delay.seconds + delay.nanos / 1e9).toString()}s` }];
    return Buffer.from(JSON.stringify({ code: status.code, message: status.message, details }));
  }
  const details =
    delay === undefined
      ? []
      : [
          {
            [ANY_TYPE_URL_FIELD]: RETRY_INFO_TYPE_URL,
            value: RetryInfoType.encode(RetryInfoType.create({ retryDelay: delay })).finish(),
          },
        ];
  const message = RpcStatusType.create({ code: status.code, message: status.message, details });
  return Buffer.from(RpcStatusType.encode(message).finish());
}
