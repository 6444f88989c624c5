/** @module The contract between OTLP decoding and the transports: what a decoded export request yields. */
import type { ErrorEvent } from '../../domain/index.js';

export type OtlpSignal = 'traces' | 'logs';
export type OtlpEncoding = 'protobuf' | 'json';

export interface DecodedExport {
  /** Error events found in the request, ready for the EventSink. */
  events: ErrorEvent[];
  /** Spans or log records in the request, kept or not (for accounting and metrics). */
  itemCount: number;
}

/**
 * A decoded export request whose ErrorEvents are built only when asked for, just before they are stored (see
 * `deferTracesProtobuf`). Framing was checked when it was made; building may still find an error item malformed.
 */
export interface DeferredExport {
  /** Spans or log records in the request, kept or not. */
  readonly itemCount: number;
  /** Error items found, each making one or more events; 0 means `errorEvents()` returns none. */
  readonly pendingCount: number;
  /** Builds the events, once. Throws OtlpDecodeError when an error item turns out malformed. */
  errorEvents(): ErrorEvent[];
}

/**
 * The request body cannot be decoded as OTLP: the client must not retry it (HTTP 400, gRPC INVALID_ARGUMENT).
 * The message is ours and safe to send back; it never echoes the payload.
 */
export class OtlpDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}
