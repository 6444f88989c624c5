import { describe, expect, it } from 'vitest';
import { OtlpDecodeError } from './decoded.js';
import { bytesEqual, bytesStartWith, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireReader } from './wire.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('WireReader', () => {
  it('reads varints of every length up to 32 bits', () => {
    const reader = new WireReader(bytes(0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f));
    expect(reader.uint32()).toBe(1);
    expect(reader.uint32()).toBe(300);
    expect(reader.uint32()).toBe(0xffffffff);
    expect(reader.atEnd()).toBe(true);
  });

  it('consumes a 10-byte varint (a negative int32) whole and keeps its low 32 bits', () => {
    const reader = new WireReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x05));
    expect(reader.uint32()).toBe(0xffffffff);
    expect(reader.uint32()).toBe(5);
  });

  it('rejects varints longer than 10 bytes and varints cut short', () => {
    expect(() => new WireReader(new Uint8Array(11).fill(0xff)).uint32()).toThrow(OtlpDecodeError);
    expect(() => new WireReader(bytes(0xff, 0xff)).uint32()).toThrow(OtlpDecodeError);
    expect(() => new WireReader(bytes()).uint32()).toThrow(OtlpDecodeError);
  });

  it('reads int64 varints exactly: small, negative, and beyond 2^53 as decimal strings', () => {
    const varint = (value: bigint) => {
      const out: number[] = [];
      let v = BigInt.asUintN(64, value);
      while (v > 0x7fn) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
      }
      out.push(Number(v));
      return out;
    };
    const values = [
      0n,
      1n,
      300n,
      2n ** 31n,
      2n ** 32n + 5n,
      2n ** 53n - 1n,
      2n ** 53n + 1n,
      -5n,
      -(2n ** 40n),
      2n ** 63n - 1n,
    ];
    const reader = new WireReader(bytes(...values.flatMap(varint)));
    expect(values.map(() => reader.int64())).toEqual([
      0,
      1,
      300,
      2 ** 31,
      2 ** 32 + 5,
      2 ** 53 - 1,
      '9007199254740993',
      -5,
      -(2 ** 40),
      '9223372036854775807',
    ]);
    expect(reader.atEnd()).toBe(true);
    expect(() => new WireReader(new Uint8Array(11).fill(0xff)).int64()).toThrow('too long');
    expect(() => new WireReader(bytes(0x80, 0x80)).int64()).toThrow('truncated');
  });

  it('reads doubles and UTF-8 strings, replacing invalid bytes', () => {
    const double = Buffer.alloc(8);
    double.writeDoubleLE(1.5);
    const reader = new WireReader(Buffer.concat([double, bytes(4, 0x61, 0xff, 0xc3, 0x62)]));
    expect(reader.double()).toBe(1.5);
    expect(reader.string()).toBe('a\ufffd\ufffdb');
    expect(() => new WireReader(bytes(1, 2)).double()).toThrow('truncated');
  });

  it('reads tags and rejects field number 0', () => {
    expect(new WireReader(bytes(0x0a)).tag()).toBe((1 << 3) | WIRE_LEN);
    expect(() => new WireReader(bytes(0x02)).tag()).toThrow('field number');
  });

  it('skips every OTLP wire type and rejects groups and unknown types', () => {
    const reader = new WireReader(bytes(0x96, 0x01, ...new Array(8).fill(0), 0x02, 0x61, 0x62, 1, 2, 3, 4));
    reader.skip(WIRE_VARINT);
    reader.skip(WIRE_FIXED64);
    reader.skip(WIRE_LEN);
    reader.skip(WIRE_FIXED32);
    expect(reader.atEnd()).toBe(true);
    expect(() => new WireReader(bytes(0)).skip(3)).toThrow(OtlpDecodeError);
    expect(() => new WireReader(bytes(0)).skip(7)).toThrow(OtlpDecodeError);
  });

  it('bounds nested messages by their length and restores the outer limit on leave', () => {
    // field 1 (len 3: field 2 varint 7, then one more byte), then field 3 varint 9
    const reader = new WireReader(bytes(0x0a, 0x03, 0x10, 0x07, 0x00, 0x18, 0x09));
    reader.tag();
    const outer = reader.enter();
    expect(reader.tag()).toBe((2 << 3) | WIRE_VARINT);
    expect(reader.uint32()).toBe(7);
    expect(reader.atEnd()).toBe(false);
    reader.leave(outer);
    expect(reader.tag()).toBe((3 << 3) | WIRE_VARINT);
    expect(reader.uint32()).toBe(9);
    expect(reader.atEnd()).toBe(true);
  });

  it('rejects lengths that run past the enclosing message', () => {
    const reader = new WireReader(bytes(0x0a, 0x02, 0x12, 0x05, 0x00));
    reader.tag();
    reader.enter();
    reader.tag();
    expect(() => reader.lengthEnd()).toThrow('truncated');
    expect(() => new WireReader(bytes(0x05, 0x01)).skip(WIRE_LEN)).toThrow('truncated');
    expect(() => new WireReader(bytes(1, 2, 3)).skip(WIRE_FIXED32)).toThrow('truncated');
    expect(() => new WireReader(bytes(1, 2, 3, 4, 5, 6, 7)).skip(WIRE_FIXED64)).toThrow('truncated');
  });

  it('compares byte ranges without decoding them', () => {
    const buf = Buffer.from('xxexception.typeyy');
    expect(bytesEqual(buf, 2, 11, Buffer.from('exception'))).toBe(true);
    expect(bytesEqual(buf, 2, 12, Buffer.from('exception'))).toBe(false);
    expect(bytesStartWith(buf, 2, 16, Buffer.from('exception.'))).toBe(true);
    expect(bytesStartWith(buf, 2, 8, Buffer.from('exception.'))).toBe(false);
  });
});
