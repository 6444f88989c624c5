import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Signature } from '../domain/index.js';
import { FanOutNotifier } from './fan-out.js';
import { StdoutNotifier } from './stdout.js';

const signature: Signature = {
  id: 'sig_0123456789abcdef',
  fingerprint: '0123456789abcdef'.repeat(4),
  configId: 'fp:2026-11-29',
  strategy: 'exception-in-app',
  errorType: 'KeyError',
  service: 'orders',
  services: ['orders'],
  messageTemplate: 'user <int> not found',
  language: 'python',
  frames: [
    { module: 'orders.service', function: 'place_order', file: '/srv/app/orders/service.py', line: 42, inApp: true },
    { module: 'json.decoder', function: 'decode', file: '/usr/lib/python3.12/json/decoder.py', line: 3, inApp: false },
  ],
  firstSeen: Date.UTC(2026, 10, 29, 5, 0, 0),
  lastSeen: Date.UTC(2026, 10, 29, 6, 0, 0),
  occurrenceCount: 3,
  status: 'new',
  tags: [],
  versions: ['1.4.2'],
  firstVersion: '1.4.2',
  environments: ['production'],
};

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe('StdoutNotifier', () => {
  it('prints a readable block naming the signature, the template and the innermost in-app frame', async () => {
    const out = capture();
    await new StdoutNotifier({ format: 'pretty', out: out.stream }).notify({ kind: 'new_signature', signature });
    const text = out.text();
    expect(text).toContain('New error signature sig_0123456789abcdef · orders');
    expect(text).toContain('KeyError: user <int> not found');
    expect(text).toContain('occurrences 3 · first seen 2026-11-29T05:00:00.000Z');
    expect(text).toContain('at orders.service.place_order (/srv/app/orders/service.py:42)');
    expect(text).toContain('versions 1.4.2');
  });

  it('prints one JSON line per report with LOG_FORMAT=json', async () => {
    const out = capture();
    await new StdoutNotifier({ format: 'json', out: out.stream }).notify({ kind: 'new_signature', signature });
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0] ?? '') as { report: string; signature: Signature };
    expect(parsed.report).toBe('new_signature');
    expect(parsed.signature.id).toBe(signature.id);
  });

  it('rejects when the stream fails, so the caller can log it', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('EPIPE'));
      },
    });
    broken.on('error', () => {});
    await expect(
      new StdoutNotifier({ format: 'pretty', out: broken }).notify({ kind: 'new_signature', signature }),
    ).rejects.toThrow('EPIPE');
  });
});

describe('FanOutNotifier', () => {
  it('delivers to every notifier even when one fails, then reports the failure', async () => {
    const out = capture();
    const failing = { name: 'broken', notify: async () => Promise.reject(new Error('down')) };
    const fanOut = new FanOutNotifier([failing, new StdoutNotifier({ format: 'json', out: out.stream })]);
    await expect(fanOut.notify({ kind: 'new_signature', signature })).rejects.toThrow('broken: down');
    expect(out.text()).toContain(signature.id);
  });
});

describe('StdoutNotifier redaction', () => {
  const leaky: Signature = {
    ...signature,
    messageTemplate: 'login failed for admin@acme-corp.com with password=hunter2',
  };

  it('redacts secrets in the readable block and in the JSON line', async () => {
    for (const format of ['pretty', 'json'] as const) {
      const out = capture();
      await new StdoutNotifier({ format, out: out.stream }).notify({ kind: 'new_signature', signature: leaky });
      expect(out.text()).not.toContain('hunter2');
      expect(out.text()).not.toContain('admin@acme-corp.com');
      expect(out.text()).toContain('[REDACTED:email]');
    }
  });
});
