import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeExportRequest } from './decode.js';

const TRACE_ID = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const SPAN_ID = Buffer.from('b7ad6b7169203331', 'hex');

/** An ExportTraceServiceRequest with one resource, one scope and one span whose body `writeSpan` writes. */
function request(writeSpan: (span: protobuf.Writer) => void): Buffer {
  const span = protobuf.Writer.create();
  writeSpan(span);
  const scopeSpans = protobuf.Writer.create()
    .uint32((2 << 3) | 2)
    .bytes(span.finish())
    .finish();
  const resourceSpans = protobuf.Writer.create()
    .uint32((2 << 3) | 2)
    .bytes(scopeSpans)
    .finish();
  return Buffer.from(
    protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .bytes(resourceSpans)
      .finish(),
  );
}

function ids(span: protobuf.Writer): protobuf.Writer {
  return span
    .uint32((1 << 3) | 2)
    .bytes(TRACE_ID)
    .uint32((2 << 3) | 2)
    .bytes(SPAN_ID);
}

function status(code: number, message?: string): Uint8Array {
  const writer = protobuf.Writer.create();
  if (message !== undefined) writer.uint32((2 << 3) | 2).string(message);
  return writer
    .uint32((3 << 3) | 0)
    .int32(code)
    .finish();
}

describe('reading kept spans straight from the wire', () => {
  it('lets a later Status replace an earlier one whole, as a full decode does', () => {
    const body = request((span) =>
      ids(span)
        .uint32((15 << 3) | 2)
        .bytes(status(2, 'first failure'))
        .uint32((15 << 3) | 2)
        .bytes(status(2)),
    );
    const [event] = decodeExportRequest('traces', 'protobuf', body).events;
    expect(event?.traceId).toBe(TRACE_ID.toString('hex'));
    expect(event?.spanId).toBe(SPAN_ID.toString('hex'));
    expect(event?.message).not.toContain('first failure');
  });

  it('reads nanosecond times exactly on both sides of 2^53, and skips a known field sent with another wire type', () => {
    const small = 1_234_567n;
    const large = 1_780_000_000_123_456_789n;
    const body = request((span) =>
      ids(span)
        .uint32((5 << 3) | 0) // name as a varint: not a string, so skipped like an unknown field
        .uint32(7)
        .uint32((5 << 3) | 2)
        .string('charge')
        .uint32((7 << 3) | 1)
        .fixed64(protobuf.util.LongBits.from(small.toString()).toLong(true))
        .uint32((8 << 3) | 1)
        .fixed64(protobuf.util.LongBits.from(large.toString()).toLong(true))
        .uint32((15 << 3) | 2)
        .bytes(status(2, 'declined')),
    );
    const [event] = decodeExportRequest('traces', 'protobuf', body).events;
    expect(event?.operation).toBe('charge');
    expect(event?.timestamp).toBe(Number(large / 1_000_000n));
  });

  it('refuses a span whose fixed64 time is cut short', () => {
    const body = request((span) =>
      ids(span)
        .uint32((15 << 3) | 2)
        .bytes(status(2))
        .uint32((7 << 3) | 1),
    );
    expect(() => decodeExportRequest('traces', 'protobuf', body)).toThrow(/truncated/);
  });
});
