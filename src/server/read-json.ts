/** @module Reads a JSON request body with a size limit: 415, 413 and 400 as `HttpError`s, never a crash. */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/** Refuses what is not JSON by its headers, before a byte of the body is read. */
export function checkJsonHeaders(req: IncomingMessage, maxBytes: number): void {
  const type = req.headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
  }
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, 'unsupported_media_type', `charset ${charset} is not supported; send UTF-8`);
  }
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    throw new HttpError(415, 'unsupported_media_type', `Content-Encoding ${encoding} is not supported`);
  }
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > maxBytes) throw tooLarge(maxBytes);
}

/**
 * The parsed body. Buffers at most `maxBytes` whatever Content-Length claimed; past that it reads on without
 * keeping anything (so the client, still sending, gets its 413 rather than a reset connection), up to a cap.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  checkJsonHeaders(req, maxBytes);
  const raw = await readBody(req, maxBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new HttpError(400, 'invalid_json', 'the request body is not valid UTF-8');
  }
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', 'the request body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Past this many times the limit a client is not making a mistake; stop reading and close on it. */
const DISCARD_FACTOR = 8;

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes * DISCARD_FACTOR) {
        done();
        req.pause();
        reject(tooLarge(maxBytes));
      } else if (size > maxBytes) {
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => {
      done();
      if (size > maxBytes) reject(tooLarge(maxBytes));
      else resolve(Buffer.concat(chunks, size));
    };
    const onError = (): void => {
      done();
      reject(new HttpError(400, 'bad_request', 'the request body could not be read'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

function tooLarge(maxBytes: number): HttpError {
  // The rest of the body is never read, so the connection cannot be reused for another request.
  return new HttpError(413, 'payload_too_large', `the request body is larger than ${maxBytes} bytes`, {
    Connection: 'close',
  });
}
