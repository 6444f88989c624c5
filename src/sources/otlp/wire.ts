/**
 * @module A minimal protobuf wire reader for the lazy OTLP scan: tags, varints, fixed-width values and length
 * prefixes, each checked against the bounds of the enclosing message, so the scan can look at a few fields of
 * every span and skip the rest without decoding them.
 */
import { OtlpDecodeError } from './decoded.js';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/**
 * Buffer's own UTF-8 slicer (undocumented, also used by protobufjs): it skips the argument handling of
 * `toString('utf8', start, end)`, which cost as much as the decoding itself for attribute-sized strings.
 */
const utf8Slice = (Buffer.prototype as { utf8Slice?: (this: Buffer, start: number, end: number) => string }).utf8Slice;

/** Protobuf caps field numbers at 2^29 - 1; zero is never a valid field number. */
const MAX_FIELD_NUMBER = 0x1fffffff;

function truncated(): OtlpDecodeError {
  return new OtlpDecodeError('protobuf message is truncated');
}

/**
 * Reads one buffer front to back. `limit` is the end of the message being read: callers enter a nested message
 * with {@link WireReader.enter} (which narrows the limit to the message's length) and leave it with
 * {@link WireReader.leave}, so nesting costs two integers instead of a reader object per message.
 */
export class WireReader {
  /** A Buffer view of the input, for its native UTF-8 and double readers. */
  readonly buf: Buffer;
  pos: number;
  limit: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.limit = end;
  }

  /** True when the current message has no more fields. */
  atEnd(): boolean {
    return this.pos >= this.limit;
  }

  /** Reads a field tag; returns `fieldNumber << 3 | wireType`. */
  tag(): number {
    const tag = this.uint32();
    const field = tag >>> 3;
    if (field === 0 || field > MAX_FIELD_NUMBER) throw new OtlpDecodeError('protobuf field number is invalid');
    return tag;
  }

  /**
   * Reads a varint and returns its low 32 bits as an unsigned number. Longer varints (negative int32 values are
   * sent as 10 bytes) are consumed whole; a varint longer than 10 bytes is malformed.
   */
  uint32(): number {
    const buf = this.buf;
    const limit = this.limit;
    let pos = this.pos;
    if (pos >= limit) throw truncated();
    let byte = buf[pos++]!;
    let value = byte & 0x7f;
    if (byte < 0x80) {
      this.pos = pos;
      return value;
    }
    // Bytes 2-4 hold bits 7-27; unrolled because tags and lengths almost always fit in two or three bytes.
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= limit) throw truncated();
      byte = buf[pos++]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    if (pos >= limit) throw truncated();
    byte = buf[pos++]!;
    value = (value | ((byte & 0x0f) << 28)) >>> 0;
    // The remaining (at most five) bytes only carry bits 32-63, which a 32-bit reader drops.
    for (let i = 0; byte >= 0x80; i++) {
      if (i === 5) throw new OtlpDecodeError('protobuf varint is too long');
      if (pos >= limit) throw truncated();
      byte = buf[pos++]!;
    }
    this.pos = pos;
    return value;
  }

  /**
   * Reads a varint as a signed int64: a number when exact as one (|value| < 2^53), else its decimal string.
   */
  int64(): number | string {
    const buf = this.buf;
    const limit = this.limit;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let byte = 0x80;
    // Bytes 1-4 fill bits 0-27; byte 5 straddles the two words; bytes 6-10 fill bits 35-63.
    for (let shift = 0; shift < 28 && byte >= 0x80; shift += 7) {
      if (pos >= limit) throw truncated();
      byte = buf[pos++]!;
      lo |= (byte & 0x7f) << shift;
    }
    if (byte >= 0x80) {
      if (pos >= limit) throw truncated();
      byte = buf[pos++]!;
      lo |= (byte & 0x0f) << 28;
      hi = (byte & 0x7f) >>> 4;
      for (let shift = 3; shift < 32 && byte >= 0x80; shift += 7) {
        if (pos >= limit) throw truncated();
        byte = buf[pos++]!;
        hi |= (byte & 0x7f) << shift;
      }
      if (byte >= 0x80) throw new OtlpDecodeError('protobuf varint is too long');
    }
    this.pos = pos;
    // hi is now the signed high word; |value| < 2^53 exactly when it lies within ±2^21.
    if (hi >= -0x200000 && hi < 0x200000) return hi * 0x100000000 + (lo >>> 0);
    return ((BigInt(hi) << 32n) + BigInt(lo >>> 0)).toString();
  }

  /** Reads a little-endian IEEE 754 double (wire type fixed64). */
  double(): number {
    if (this.pos + 8 > this.limit) throw truncated();
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Reads a length-delimited UTF-8 string; invalid bytes become U+FFFD rather than an error. */
  string(): string {
    const end = this.lengthEnd();
    const value = utf8Slice ? utf8Slice.call(this.buf, this.pos, end) : this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return value;
  }

  /**
   * Reads a length prefix and returns the end offset of the bytes it announces, after checking that they fit in
   * the current message. The reader is left at the first of those bytes.
   */
  lengthEnd(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (length > 0x7fffffff || end > this.limit) throw truncated();
    return end;
  }

  /** Enters the length-delimited message at the reader's position; returns the limit to restore on leave. */
  enter(): number {
    const end = this.lengthEnd();
    const outer = this.limit;
    this.limit = end;
    return outer;
  }

  /** Skips whatever is left of the current nested message and restores the outer limit. */
  leave(outerLimit: number): void {
    this.pos = this.limit;
    this.limit = outerLimit;
  }

  /** Skips one field value of the given wire type. Groups (wire types 3 and 4) are not used by OTLP. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.uint32();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new OtlpDecodeError(`protobuf wire type ${wireType} is not supported`);
    }
  }

  private advance(bytes: number): void {
    if (this.pos + bytes > this.limit) throw truncated();
    this.pos += bytes;
  }
}

/** True when `buf[start, end)` holds exactly the bytes of `expected`. Compares without decoding a string. */
export function bytesEqual(buf: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (buf[start + i] !== expected[i]) return false;
  }
  return true;
}

/** True when `buf[start, end)` begins with the bytes of `prefix`. */
export function bytesStartWith(buf: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (buf[start + i] !== prefix[i]) return false;
  }
  return true;
}
