/** @module Reading an HTTP request body under a byte limit, then undoing its Content-Encoding under the same limit. */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { AdmissionTicket } from './admission.js';
import { OtlpRefusal, SUPPORTED_ENCODINGS_TEXT, tooLarge } from './status.js';
import { decompressZstd } from './zstd.js';

/** The client went away before the body was complete: there is nobody left to answer. */
export class ClientAbortedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the client closed the connection before the request body was complete', options);
    this.name = 'ClientAbortedError';
  }
}

export interface ReadBodyOptions {
  /** Most bytes accepted on the wire. */
  limit: number;
  /** Every byte read is claimed from this ticket first; a refused claim ends the read as "overloaded". */
  ticket?: AdmissionTicket;
}

/**
 * The whole body as one Buffer. The limit is counted while streaming because the JS exporters send
 * `Transfer-Encoding: chunked` with no Content-Length; a Content-Length above the limit is refused before
 * a byte is read. Listeners are attached directly rather than through `for await`, because leaving that
 * loop early destroys the socket and the client would never see the 413.
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > options.limit) {
    return Promise.reject(tooLarge(`request body of ${declared} bytes`, options.limit));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let covered = options.ticket?.bytes ?? 0;
    let settled = false;

    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error === undefined) resolve(Buffer.concat(chunks, received));
      else {
        chunks.length = 0;
        // The stream keeps flowing with nothing listening, so the rest of the body is read and discarded
        // while the refusal goes out; the caller closes the connection after it. (IncomingMessage emits
        // 'error' only when someone listens, so a later abort cannot crash us.)
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > options.limit) {
        settle(tooLarge('request body', options.limit));
        return;
      }
      if (options.ticket !== undefined && received > covered) {
        if (!options.ticket.grow(received - covered)) {
          settle(new OtlpRefusal('overloaded', 'the receiver is at its in-flight byte limit; retry later'));
          return;
        }
        covered = received;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle(undefined);
    const onError = (error: Error): void => settle(new ClientAbortedError({ cause: error }));
    const onClose = (): void => {
      if (!req.complete) settle(new ClientAbortedError());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

type Coding = 'gzip' | 'deflate' | 'zstd' | 'identity';

/** The codings named by a Content-Encoding header, in the order they were applied; refuses unknown ones. */
export function parseContentEncoding(header: string | undefined): Coding[] {
  if (header === undefined) return [];
  const codings: Coding[] = [];
  for (const raw of header.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '' || name === 'identity' || name === 'none') continue;
    if (name === 'gzip' || name === 'x-gzip') codings.push('gzip');
    else if (name === 'deflate') codings.push('deflate');
    else if (name === 'zstd') codings.push('zstd');
    else {
      // snappy, lz4 and br are not decoded; see README.md.
      throw new OtlpRefusal(
        'unsupported_encoding',
        `Content-Encoding "${name.slice(0, 40)}" is not supported; use one of ${SUPPORTED_ENCODINGS_TEXT}`,
      );
    }
  }
  return codings;
}

/**
 * Below this many compressed bytes the body is inflated synchronously. OTLP-NOTES §3.3 measured async zlib
 * at ~1.5x the CPU of `gunzipSync` for typical (35 KB) requests; above this size the event loop matters more,
 * so big bodies inflate on the libuv pool.
 */
export const SYNC_INFLATE_MAX_INPUT = 1024 * 1024;

const inflateAsync = {
  gzip: promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.gunzip),
  zlib: promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.inflate),
  raw: promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.inflateRaw),
};
const inflateSync = { gzip: zlib.gunzipSync, zlib: zlib.inflateSync, raw: zlib.inflateRawSync };

/**
 * Undoes `codings` (last applied, first undone). `maxOutputLength` is the limit, so a gzip bomb stops at
 * `limit` bytes of output and becomes a 413 instead of filling the heap. `deflate` is meant to be zlib
 * (RFC 9110) but some clients send raw deflate: a zlib header is tried first, raw deflate after. zstd is
 * decoded on this thread under the same limit and a deadline (zstd.ts).
 */
export async function decompress(body: Buffer, codings: readonly Coding[], limit: number): Promise<Buffer> {
  let data = body;
  for (let i = codings.length - 1; i >= 0; i -= 1) {
    const coding = codings[i];
    if (coding === 'gzip') data = await inflate('gzip', data, limit);
    else if (coding === 'deflate') data = await inflateDeflate(data, limit);
    else if (coding === 'zstd') data = decompressZstd(data, limit);
  }
  return data;
}

async function inflateDeflate(data: Buffer, limit: number): Promise<Buffer> {
  if (!hasZlibHeader(data)) return inflate('raw', data, limit);
  try {
    return await inflate('zlib', data, limit);
  } catch (error) {
    // Two bytes of raw deflate can pass the header check by chance; only a data error means "try raw".
    if (error instanceof OtlpRefusal && error.outcome === 'bad_data') return inflate('raw', data, limit);
    throw error;
  }
}

/** RFC 1950: compression method 8, window ≤ 32 KiB, and the two header bytes are a multiple of 31. */
function hasZlibHeader(data: Buffer): boolean {
  const cmf = data[0];
  const flg = data[1];
  if (cmf === undefined || flg === undefined) return false;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (cmf * 256 + flg) % 31 === 0;
}

async function inflate(kind: 'gzip' | 'zlib' | 'raw', data: Buffer, limit: number): Promise<Buffer> {
  const options = { maxOutputLength: limit };
  try {
    return data.length <= SYNC_INFLATE_MAX_INPUT
      ? inflateSync[kind](data, options)
      : await inflateAsync[kind](data, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge('decompressed request body', limit);
    }
    const name = kind === 'gzip' ? 'gzip' : 'deflate';
    throw new OtlpRefusal('bad_data', `the ${name} body cannot be decompressed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
