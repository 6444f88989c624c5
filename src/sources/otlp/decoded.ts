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
 * The request body cannot be decoded as OTLP: the client must not retry it (HTTP 400, gRPC INVALID_ARGUMENT).
 * The message is ours and safe to send back; it never echoes the payload.
 */
export class OtlpDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}
