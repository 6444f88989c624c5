import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeTraceRequest } from '../../../test/helpers/otlp-payloads.js';
import { OtlpRefusal } from './status.js';
import { decompressZstd, ZSTD_MAX_WINDOW } from './zstd.js';

/**
 * Fixtures, made with zstd 1.5 so these tests need no zstd binary:
 * - traces.pb: makeTraceRequest({ spans: 16, errorRate: 0.25, seed: 4242, baseTimeMs: 1_780_000_000_000 }).body
 * - traces.pb.zst: `zstd -19 traces.pb` (content size and checksum in the header)
 * - bomb-zeros-64mib.zst: `head -c 67108864 /dev/zero > zeros && zstd -19 zeros` (declares 64 MiB)
 * - bomb-stream-64mib.zst: 64 MiB of the bytes (i * 7 + (i >> 4)) & 0xff through `zstd -19 -c < in`: no
 *   content size, compressed blocks, so only counting the output stops it
 */
const fixture = (name: string): Buffer => readFileSync(new URL(`./testdata/${name}`, import.meta.url));
const MiB = 1024 * 1024;

function refusalOf(run: () => unknown): OtlpRefusal {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpRefusal);
    return error as OtlpRefusal;
  }
  throw new Error('expected a refusal');
}

// ---- hand-built frames (RFC 8878 §3.1.1) ----

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** A frame header with a Window_Descriptor (2^(10 + exponent) bytes) and optionally a 4-byte content size. */
function header(options: { windowExponent?: number; contentSize?: number; descriptorBits?: number } = {}): number[] {
  const hasSize = options.contentSize !== undefined;
  const descriptor = (hasSize ? 0x80 : 0) | (options.descriptorBits ?? 0);
  const size = hasSize ? [...Buffer.from(Uint32Array.of(options.contentSize ?? 0).buffer)] : [];
  return [...MAGIC, descriptor, (options.windowExponent ?? 7) << 3, ...size];
}

function blockHeader(type: number, size: number, last: boolean): number[] {
  const value = (size << 3) | (type << 1) | (last ? 1 : 0);
  return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff];
}

const rawBlock = (content: Buffer, last: boolean): number[] => [...blockHeader(0, content.length, last), ...content];
const rleBlock = (byte: number, size: number, last: boolean): number[] => [...blockHeader(1, size, last), byte];

/**
 * One compressed block that fzstd spends about a minute on while producing at most 128 KiB: 60,000 sequences,
 * each a 131,074-byte match coded in 16 bits (RLE-coded symbol tables; fzstd never checks that matches fit).
 */
function cpuBombFrame(): Buffer {
  const sequences = 60_000;
  const count = [0xff, (sequences - 0x7f00) & 0xff, (sequences - 0x7f00) >> 8];
  // Raw literals of size 0, the sequence count, modes (all RLE), the RLE symbols (LL 0, OF 0, ML 52), bitstream.
  const content = [0x00, ...count, 0x54, 0, 0, 52, ...new Array<number>(2 * sequences).fill(0xff), 0x01];
  return Buffer.from([...header({ windowExponent: 7 }), ...blockHeader(2, content.length, true), ...content]);
}

describe('decompressZstd', () => {
  it('decompresses a zstd-compressed OTLP request to the original bytes', () => {
    expect(decompressZstd(fixture('traces.pb.zst'), MiB).equals(fixture('traces.pb'))).toBe(true);
  });

  it('joins concatenated frames and drops skippable frames', () => {
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const stored = Buffer.from([...header(), ...rawBlock(Buffer.from('tail'), true)]);
    const body = Buffer.concat([fixture('traces.pb.zst'), skippable, fixture('traces.pb.zst'), stored]);
    const expected = Buffer.concat([fixture('traces.pb'), fixture('traces.pb'), Buffer.from('tail')]);
    expect(decompressZstd(body, MiB).equals(expected)).toBe(true);
  });

  it('refuses a 64 MiB bomb that declares its size from the header alone, before decoding', () => {
    const before = process.memoryUsage().arrayBuffers;
    const refusal = refusalOf(() => decompressZstd(fixture('bomb-zeros-64mib.zst'), MiB));
    expect(refusal.outcome).toBe('too_large');
    expect(refusal.message).toBe(
      'decompressed request body exceeds the limit of 1048576 bytes (OTLP_MAX_REQUEST_BYTES)',
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MiB);
  });

  it('stops a 64 MiB bomb with no declared size once its output passes the limit', () => {
    const before = process.memoryUsage().arrayBuffers;
    const refusal = refusalOf(() => decompressZstd(fixture('bomb-stream-64mib.zst'), MiB));
    expect(refusal.outcome).toBe('too_large');
    expect(refusal.message).toContain('exceeds the limit of 1048576 bytes');
    // Its 8 MiB window, plus the limit of output.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(ZSTD_MAX_WINDOW + 4 * MiB);
  });

  it('refuses run-length blocks that add up to more than the limit without decoding them', () => {
    const blocks = Array.from({ length: 512 }, (_, i) => rleBlock(0, 128 * 1024, i === 511)).flat();
    const bomb = Buffer.from([...header(), ...blocks]);
    expect(bomb.length).toBeLessThan(3000);
    expect(refusalOf(() => decompressZstd(bomb, MiB)).outcome).toBe('too_large');
  });

  it('refuses headers that declare a huge content size or window, without allocating them', () => {
    const before = process.memoryUsage().arrayBuffers;
    const block = rawBlock(Buffer.from('x'), true);
    // 8-byte Frame_Content_Size of 2^40.
    const huge = Buffer.from([...MAGIC, 0xc0, 7 << 3, 0, 0, 0, 0, 0, 1, 0, 0, ...block]);
    expect(refusalOf(() => decompressZstd(huge, MiB))).toMatchObject({ outcome: 'too_large' });
    // A 2 GiB window with no content size: fzstd would allocate all of it before the first block.
    const window = refusalOf(() => decompressZstd(Buffer.from([...header({ windowExponent: 21 }), ...block]), MiB));
    expect(window.outcome).toBe('too_large');
    expect(window.message).toContain('needs a 2147483648-byte window; at most 8388608 bytes are accepted');
    // Single segment: the window is the content size, 16 MiB here, over the cap even under a bigger limit.
    const single = Buffer.from([...MAGIC, 0xa0, ...Buffer.from(Uint32Array.of(16 * MiB).buffer), ...block]);
    expect(refusalOf(() => decompressZstd(single, 64 * MiB)).message).toContain('16777216-byte window');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MiB);
  });

  it('accepts windows up to 8 MiB, what the Go collector and zstd for HTTP use', () => {
    const frame = Buffer.from([...header({ windowExponent: 13 }), ...rawBlock(Buffer.from('ok'), true)]);
    expect(decompressZstd(frame, MiB).toString()).toBe('ok');
  });

  it('gives a crafted slow block a deadline instead of the event loop', () => {
    const started = performance.now();
    const refusal = refusalOf(() => decompressZstd(cpuBombFrame(), 64 * MiB));
    expect(refusal.outcome).toBe('too_large');
    expect(refusal.message).toMatch(/^the zstd body takes more than \d+ ms to decompress$/);
    expect(performance.now() - started).toBeLessThan(3000);
    // The decoder is still usable afterwards.
    expect(decompressZstd(fixture('traces.pb.zst'), MiB).equals(fixture('traces.pb'))).toBe(true);
  });

  it.each([
    ['an empty body', Buffer.alloc(0), 'the body is empty'],
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'no zstd frame starts at byte 0'],
    ['a truncated frame', fixture('traces.pb.zst').subarray(0, 1000), 'truncated'],
    ['a frame cut inside its header', fixture('traces.pb.zst').subarray(0, 6), 'truncated'],
    ['a missing checksum', fixture('traces.pb.zst').subarray(0, -2), 'truncated'],
    ['trailing garbage', Buffer.concat([fixture('traces.pb.zst'), Buffer.from('junk')]), 'no zstd frame starts'],
    ['a reserved header bit', Buffer.from([...header({ descriptorBits: 0x08 }), ...rleBlock(0, 1, true)]), 'reserved'],
    ['a dictionary', Buffer.from([...MAGIC, 0x01, 7 << 3, 9, ...rleBlock(0, 1, true)]), 'dictionaries'],
    ['a reserved block type', Buffer.from([...header(), ...blockHeader(3, 1, true), 0]), 'reserved block type'],
    [
      'a block over its maximum',
      Buffer.from([...header({ windowExponent: 0 }), ...rleBlock(0, 2048, true)]),
      'maximum',
    ],
    [
      'less content than declared',
      Buffer.from([...header({ contentSize: 10 }), ...rleBlock(0, 5, true)]),
      'not the 10',
    ],
    ['more content than declared', Buffer.from([...header({ contentSize: 4 }), ...rleBlock(0, 5, true)]), 'more than'],
  ])('answers bad data for %s', (_name, body, reason) => {
    const refusal = refusalOf(() => decompressZstd(body, MiB));
    expect(refusal.outcome).toBe('bad_data');
    expect(refusal.message).toMatch(/^the zstd body cannot be decompressed: /);
    expect(refusal.message).toContain(reason);
  });

  it('answers bad data when fzstd itself finds the block corrupt', () => {
    // A compressed block whose literals section claims a Huffman table that is not there.
    const content = [0x02, 0xff, 0xff, 0xff, 0xff];
    const body = Buffer.from([...header(), ...blockHeader(2, content.length, true), ...content]);
    expect(refusalOf(() => decompressZstd(body, MiB)).outcome).toBe('bad_data');
  });
});

const hasZstd = spawnSync('zstd', ['--version']).status === 0;
if (!hasZstd) console.warn('zstd.test.ts: no `zstd` binary on PATH; skipping the tests that compress with it');

describe.skipIf(!hasZstd)('decompressZstd against the zstd command-line tool', () => {
  const zstd = (args: string[], input: Buffer): Buffer => {
    const result = spawnSync('zstd', ['-q', '-c', ...args], { input, maxBuffer: 64 * MiB });
    if (result.status !== 0) throw new Error(`zstd ${args.join(' ')}: ${result.stderr.toString()}`);
    return result.stdout;
  };
  const payload = makeTraceRequest({ spans: 256, seed: 11, baseTimeMs: 1_780_000_000_000 }).body;

  it.each([
    ['level 1', ['-1']],
    ['level 19', ['-19']],
    ['no checksum', ['--no-check']],
    ['small blocks', ['--zstd=wlog=10']],
    ['declared size', [`--stream-size=${payload.length}`]],
  ])('round-trips %s', (_name, args) => {
    expect(decompressZstd(zstd(args, payload), 4 * MiB).equals(payload)).toBe(true);
  });

  it('round-trips several frames, as a client that compresses in parts sends them', () => {
    const body = Buffer.concat([zstd([], payload.subarray(0, 1000)), zstd(['-19'], payload.subarray(1000))]);
    expect(decompressZstd(body, 4 * MiB).equals(payload)).toBe(true);
  });

  it('matches the committed fixtures', () => {
    expect(zstd(['-d'], fixture('traces.pb.zst')).equals(fixture('traces.pb'))).toBe(true);
    expect(zstd(['-d'], fixture('bomb-stream-64mib.zst')).length).toBe(64 * MiB);
  });

  it('refuses --long windows over 8 MiB with 413', () => {
    const refusal = refusalOf(() => decompressZstd(zstd(['--long=27'], payload), 64 * MiB));
    expect(refusal.outcome).toBe('too_large');
    expect(refusal.message).toContain('134217728-byte window');
  });
});
