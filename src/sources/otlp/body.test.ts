import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Admission } from './admission.js';
import { ClientAbortedError, decompress, parseContentEncoding, readBody, SYNC_INFLATE_MAX_INPUT } from './body.js';
import { OtlpRefusal } from './status.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server whose handler reads the body with `read` and answers with what happened. */
async function serve(read: (req: IncomingMessage) => Promise<Buffer>): Promise<{ port: number; outcomes: unknown[] }> {
  const outcomes: unknown[] = [];
  const server = http.createServer((req, res) => {
    read(req).then(
      (body) => {
        outcomes.push(body.length);
        res.end(`ok ${body.length}`);
      },
      (error: unknown) => {
        outcomes.push(error);
        if (!res.destroyed) res.writeHead(413, { Connection: 'close' }).end(String((error as Error).message));
      },
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, outcomes };
}

/** POSTs `chunks` with Transfer-Encoding: chunked (no Content-Length), like the JS exporters. */
function postChunked(
  port: number,
  chunks: Buffer[],
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // The server may close while we still write; the response is what the test checks.
    req.on('error', (error) => {
      if (!req.writableFinished) return;
      reject(error);
    });
    const write = (i: number): void => {
      if (i >= chunks.length) {
        req.end();
        return;
      }
      req.write(chunks[i], () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

describe('readBody', () => {
  it('reads a chunked body with no Content-Length', async () => {
    const { port } = await serve((req) => readBody(req, { limit: 1000 }));
    const result = await postChunked(port, [Buffer.alloc(300), Buffer.alloc(300), Buffer.alloc(300)]);
    expect(result).toEqual({ status: 200, body: 'ok 900' });
  });

  it('refuses a chunked body as soon as it passes the limit, and the client still gets the answer', async () => {
    const { port, outcomes } = await serve((req) => readBody(req, { limit: 1000 }));
    const result = await postChunked(
      port,
      Array.from({ length: 50 }, () => Buffer.alloc(400)),
    );
    expect(result.status).toBe(413);
    expect(result.body).toContain('exceeds the limit of 1000 bytes');
    expect(outcomes[0]).toBeInstanceOf(OtlpRefusal);
    expect((outcomes[0] as OtlpRefusal).outcome).toBe('too_large');
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    const req = { headers: { 'content-length': '5000' } } as unknown as IncomingMessage;
    await expect(readBody(req, { limit: 1000 })).rejects.toMatchObject({ outcome: 'too_large' });
  });

  it('claims every byte from the admission ticket and refuses as overloaded when the claim fails', async () => {
    const admission = new Admission({ maxRequests: 5, maxBytes: 1000 });
    const other = admission.tryAcquire(600);
    const { port, outcomes } = await serve(async (req) => {
      const ticket = admission.tryAcquire(0);
      if (ticket === undefined) throw new Error('not admitted');
      try {
        return await readBody(req, { limit: 10_000, ticket });
      } finally {
        ticket.release();
      }
    });
    const result = await postChunked(port, [Buffer.alloc(300), Buffer.alloc(300)]);
    expect(result.status).toBe(413);
    expect((outcomes[0] as OtlpRefusal).outcome).toBe('overloaded');
    expect(admission.inflightBytes).toBe(600);
    other?.release();
    expect(admission.inflightBytes).toBe(0);
  });

  it('rejects with ClientAbortedError when the client goes away mid-body', async () => {
    const settled = new Promise<unknown>((resolve) => {
      void serve((req) => {
        const read = readBody(req, { limit: 10_000 });
        read.then(resolve, resolve);
        return read;
      }).then(({ port }) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/' });
        req.on('error', () => {});
        req.write(Buffer.alloc(100), () => setTimeout(() => req.destroy(), 20));
      });
    });
    expect(await settled).toBeInstanceOf(ClientAbortedError);
  });
});

describe('parseContentEncoding', () => {
  it('knows gzip, deflate, zstd and identity, in the order applied', () => {
    expect(parseContentEncoding(undefined)).toEqual([]);
    expect(parseContentEncoding('identity')).toEqual([]);
    expect(parseContentEncoding('GZIP')).toEqual(['gzip']);
    expect(parseContentEncoding('x-gzip')).toEqual(['gzip']);
    expect(parseContentEncoding('deflate, gzip')).toEqual(['deflate', 'gzip']);
    expect(parseContentEncoding('ZSTD')).toEqual(['zstd']);
    expect(parseContentEncoding('zstd, gzip')).toEqual(['zstd', 'gzip']);
  });

  it.each(['snappy', 'br', 'lz4', 'x-zstd'])('refuses %s, naming the encodings that work', (coding) => {
    try {
      parseContentEncoding(coding);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OtlpRefusal);
      expect((error as OtlpRefusal).outcome).toBe('unsupported_encoding');
      expect((error as OtlpRefusal).message).toContain('gzip, deflate, zstd, identity');
    }
  });
});

describe('decompress', () => {
  const payload = Buffer.from('OTLP payload '.repeat(1000));

  it('passes identity bodies through', async () => {
    expect(await decompress(payload, [], 100)).toBe(payload);
  });

  it('inflates gzip', async () => {
    expect(await decompress(zlib.gzipSync(payload), ['gzip'], 1_000_000)).toEqual(payload);
  });

  it('inflates deflate in both flavours: zlib-wrapped and raw', async () => {
    expect(await decompress(zlib.deflateSync(payload), ['deflate'], 1_000_000)).toEqual(payload);
    expect(await decompress(zlib.deflateRawSync(payload), ['deflate'], 1_000_000)).toEqual(payload);
  });

  it('undoes stacked codings last-applied first', async () => {
    const twice = zlib.gzipSync(zlib.deflateSync(payload));
    expect(await decompress(twice, ['deflate', 'gzip'], 1_000_000)).toEqual(payload);
  });

  it('decompresses zstd, alone and under gzip, with the same limit and bad-data answers (more in zstd.test.ts)', async () => {
    const original = readFileSync(new URL('./testdata/traces.pb', import.meta.url));
    const zstd = readFileSync(new URL('./testdata/traces.pb.zst', import.meta.url));
    expect((await decompress(zstd, ['zstd'], 1_000_000)).equals(original)).toBe(true);
    expect((await decompress(zlib.gzipSync(zstd), ['zstd', 'gzip'], 1_000_000)).equals(original)).toBe(true);
    await expect(decompress(zstd, ['zstd'], 1000)).rejects.toMatchObject({ outcome: 'too_large' });
    const bomb = readFileSync(new URL('./testdata/bomb-stream-64mib.zst', import.meta.url));
    await expect(decompress(bomb, ['zstd'], 1024 * 1024)).rejects.toMatchObject({
      outcome: 'too_large',
      message: 'decompressed request body exceeds the limit of 1048576 bytes (OTLP_MAX_REQUEST_BYTES)',
    });
    await expect(decompress(zstd.subarray(0, 100), ['zstd'], 1_000_000)).rejects.toMatchObject({
      outcome: 'bad_data',
    });
  });

  it('stops a gzip bomb at the limit: 413, not out of memory', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(300 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    await expect(decompress(bomb, ['gzip'], 1024 * 1024)).rejects.toMatchObject({ outcome: 'too_large' });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
    await expect(decompress(zlib.deflateRawSync(Buffer.alloc(10_000_000)), ['deflate'], 1000)).rejects.toMatchObject({
      outcome: 'too_large',
    });
  });

  it('applies the same limit on the async path used for big bodies', async () => {
    const big = Buffer.concat([randomBytes(SYNC_INFLATE_MAX_INPUT + 1024), Buffer.alloc(20 * 1024 * 1024)]);
    const compressed = zlib.gzipSync(big);
    expect(compressed.length).toBeGreaterThan(SYNC_INFLATE_MAX_INPUT);
    await expect(decompress(compressed, ['gzip'], 4 * 1024 * 1024)).rejects.toMatchObject({ outcome: 'too_large' });
    // Buffer.equals, not toEqual: the matcher walks a 21 MB buffer index by index.
    expect((await decompress(compressed, ['gzip'], 32 * 1024 * 1024)).equals(big)).toBe(true);
  });

  it('answers bad data for bodies that are not what they claim', async () => {
    await expect(decompress(Buffer.from('not gzip at all'), ['gzip'], 1000)).rejects.toMatchObject({
      outcome: 'bad_data',
    });
    await expect(decompress(zlib.gzipSync(payload).subarray(0, 40), ['gzip'], 1_000_000)).rejects.toMatchObject({
      outcome: 'bad_data',
    });
    await expect(decompress(Buffer.from([0xff, 0xff, 0xff]), ['deflate'], 1000)).rejects.toMatchObject({
      outcome: 'bad_data',
    });
  });
});
