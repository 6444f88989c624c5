/**
 * @module Undoing `Content-Encoding: zstd` under the request limit. The decoder is `fzstd` (pure JS, because
 * Node 20's zlib has no zstd), which trusts its input: its header sizes its buffers, and a crafted block can
 * make it loop for minutes while writing nothing. So the frames are checked here before fzstd sees them, the
 * output is counted as it streams out, and the whole decode runs under a deadline.
 */
import vm from 'node:vm';
import { Decompress } from 'fzstd';
import { OtlpRefusal, tooLarge } from './status.js';

/**
 * The largest window accepted: RFC 9659 caps the `zstd` content coding at 8 MiB, and encoders for HTTP
 * (zstd, klauspost/compress, which the Go collector uses) stay within it. fzstd allocates the window up front
 * and moves all of it once per block, so a bigger one costs memory and time that the limit does not bound.
 */
export const ZSTD_MAX_WINDOW = 8 * 1024 * 1024;

/**
 * Decoding gets `ZSTD_DEADLINE_BASE_MS`, plus 1 s for every `ZSTD_DEADLINE_BYTES_PER_SECOND` of output the
 * frames can produce (at most the limit): 2.25 s for the default 64 MiB. fzstd decodes valid bodies at about
 * 50-200 MB/s, but a crafted block of 100 KB can keep it busy for a minute on the event loop.
 */
export const ZSTD_DEADLINE_BASE_MS = 250;
export const ZSTD_DEADLINE_BYTES_PER_SECOND = 32 * 1024 * 1024;

const FRAME_MAGIC = 0xfd2fb528;
/** Skippable frames use the 16 magic numbers 0x184D2A50-0x184D2A5F (RFC 8878 §3.1.2). */
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_SIZE_MAX = 128 * 1024;
const RLE_BLOCK = 1;
const COMPRESSED_BLOCK = 2;
const RESERVED_BLOCK = 3;

/** One zstd frame, as its header and block headers describe it. */
interface Frame {
  /** Offsets of the whole frame in the body. */
  start: number;
  end: number;
  /** Frame_Content_Size, when the header declares it. */
  contentSize: number | undefined;
  /** The least and most output its block headers allow (both are contentSize when it is declared). */
  minOutput: number;
  maxOutput: number;
}

/**
 * The body with its zstd frames decompressed (skippable frames are dropped), or an OtlpRefusal: `too_large`
 * when the output would pass `limit`, when a frame needs a window over 8 MiB, or when decoding overruns its
 * deadline; `bad_data` when the body is not zstd or is truncated or corrupt.
 */
export function decompressZstd(body: Buffer, limit: number): Buffer {
  const frames = scanFrames(body);
  if (frames.reduce((sum, frame) => sum + frame.minOutput, 0) > limit) {
    throw tooLarge('decompressed request body', limit);
  }
  const maxOutput = frames.reduce((sum, frame) => sum + frame.maxOutput, 0);
  const deadlineMs = Math.ceil(
    ZSTD_DEADLINE_BASE_MS + (Math.min(maxOutput, limit) / ZSTD_DEADLINE_BYTES_PER_SECOND) * 1000,
  );
  try {
    return withDeadline(deadlineMs, () => decodeFrames(body, frames, limit));
  } catch (error) {
    if (error instanceof OtlpRefusal) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new OtlpRefusal('too_large', `the zstd body takes more than ${deadlineMs} ms to decompress`);
    }
    throw badData((error as Error).message, error);
  }
}

/**
 * Walks frame and block headers without decoding (RFC 8878 §3.1), so that nothing reaches fzstd that would
 * make it allocate more than the window cap, and so the output is bounded from both sides in advance.
 */
function scanFrames(body: Buffer): Frame[] {
  if (body.length === 0) throw badData('the body is empty');
  const frames: Frame[] = [];
  let at = 0;
  while (at < body.length) {
    need(body, at, 4);
    const magic = body.readUInt32LE(at);
    if (magic >>> 4 === SKIPPABLE_MAGIC >>> 4) {
      need(body, at, 8);
      at += 8 + body.readUInt32LE(at + 4);
      if (at > body.length) throw badData('the body is truncated');
      continue;
    }
    if (magic !== FRAME_MAGIC) throw badData(`no zstd frame starts at byte ${at}`);
    const frame = scanFrame(body, at);
    frames.push(frame);
    at = frame.end;
  }
  return frames;
}

function scanFrame(body: Buffer, start: number): Frame {
  // Frame_Header_Descriptor: FCS flag (2 bits), single segment, unused, reserved, checksum, dictionary flag (2).
  need(body, start, 5);
  const descriptor = body[start + 4]!;
  if (descriptor & 0x08) throw badData('a zstd frame header has its reserved bit set');
  const singleSegment = (descriptor & 0x20) !== 0;
  const checksumBytes = descriptor & 0x04 ? 4 : 0;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03]!;
  const sizeFlag = descriptor >> 6;
  const sizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
  let at = start + 5;
  need(body, at, (singleSegment ? 0 : 1) + dictionaryBytes + sizeBytes);

  let window = 0;
  if (!singleSegment) {
    const exponent = body[at]! >> 3;
    const mantissa = body[at]! & 0x07;
    const base = 2 ** (10 + exponent);
    window = base + (base / 8) * mantissa;
    at += 1;
  }
  // fzstd ignores Dictionary_ID and would decode such a frame into garbage.
  if (dictionaryBytes > 0 && body.readUIntLE(at, dictionaryBytes) !== 0) {
    throw badData('zstd dictionaries are not supported');
  }
  at += dictionaryBytes;
  let contentSize: number | undefined;
  if (sizeBytes === 8) contentSize = body.readUInt32LE(at) + body.readUInt32LE(at + 4) * 2 ** 32;
  else if (sizeBytes > 0) contentSize = body.readUIntLE(at, sizeBytes) + (sizeBytes === 2 ? 256 : 0);
  at += sizeBytes;
  if (singleSegment) window = contentSize ?? 0;
  if (window > ZSTD_MAX_WINDOW) {
    throw new OtlpRefusal(
      'too_large',
      `a zstd frame needs a ${window}-byte window; at most ${ZSTD_MAX_WINDOW} bytes are accepted (RFC 9659)`,
    );
  }

  // Blocks: a 3-byte little-endian header (last flag, type, size), then the content; RLE content is one byte.
  const blockMax = Math.min(window, BLOCK_SIZE_MAX);
  let exact = 0;
  let compressed = 0;
  for (let last = false; !last; ) {
    need(body, at, 3);
    const header = body.readUIntLE(at, 3);
    last = (header & 1) === 1;
    const type = (header >> 1) & 3;
    const size = header >> 3;
    if (type === RESERVED_BLOCK) throw badData('a zstd block has the reserved block type');
    if (size > blockMax) throw badData(`a zstd block of ${size} bytes is over the frame's ${blockMax}-byte maximum`);
    const contentBytes = type === RLE_BLOCK ? 1 : size;
    need(body, at + 3, contentBytes);
    at += 3 + contentBytes;
    if (type === COMPRESSED_BLOCK) compressed += 1;
    else exact += size;
  }
  need(body, at, checksumBytes);
  at += checksumBytes;
  return {
    start,
    end: at,
    contentSize,
    minOutput: contentSize ?? exact,
    maxOutput: contentSize ?? exact + compressed * blockMax,
  };
}

/** Decodes checked frames one by one, counting output as it streams, and stops once it passes `limit`. */
function decodeFrames(body: Buffer, frames: readonly Frame[], limit: number): Buffer {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const frame of frames) {
    let produced = 0;
    const decoder = new Decompress((chunk) => {
      produced += chunk.length;
      total += chunk.length;
      if (total > limit) throw tooLarge('decompressed request body', limit);
      if (frame.contentSize !== undefined && produced > frame.contentSize) {
        throw badData(`a zstd frame holds more than the ${frame.contentSize} bytes its header declares`);
      }
      if (chunk.length > 0) chunks.push(chunk);
    });
    decoder.push(body.subarray(frame.start, frame.end), true);
    if (frame.contentSize !== undefined && produced !== frame.contentSize) {
      throw badData(`a zstd frame holds ${produced} bytes, not the ${frame.contentSize} its header declares`);
    }
  }
  return Buffer.concat(chunks, total);
}

// The deadline: vm's `timeout` stops whatever JavaScript runs inside `runInContext`, including functions from
// this realm that the script calls, so a runaway fzstd loop is interrupted on the event loop thread itself.
const deadlineContext = vm.createContext({ run: (): void => pending?.() });
const deadlineScript = new vm.Script('run()', { filename: 'otlp-zstd-deadline' });
let pending: (() => void) | undefined;

function withDeadline<T>(timeoutMs: number, work: () => T): T {
  const outcome: { value?: T } = {};
  pending = () => {
    outcome.value = work();
  };
  try {
    deadlineScript.runInContext(deadlineContext, { timeout: timeoutMs });
  } finally {
    pending = undefined;
  }
  return outcome.value as T;
}

/** Throws `bad_data` unless `body` holds `count` bytes from `at`. */
function need(body: Buffer, at: number, count: number): void {
  if (at + count > body.length) throw badData('the body is truncated');
}

function badData(reason: string, cause?: unknown): OtlpRefusal {
  return new OtlpRefusal(
    'bad_data',
    `the zstd body cannot be decompressed: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}
