import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorEvent } from '../domain/index.js';
import { Fingerprinter } from '../fingerprint/index.js';
import type { Notification, Notifier } from '../ports/index.js';
import { SqliteSignatureStore } from '../store/sqlite/sqlite-signature-store.js';
import { IngestPipeline } from './ingest.js';

class RecordingNotifier implements Notifier {
  readonly name = 'recording';
  readonly seen: Notification[] = [];
  failWith: Error | undefined;
  async notify(notification: Notification): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.seen.push(notification);
  }
}

const TRACE = [
  'Traceback (most recent call last):',
  '  File "/srv/app/billing/charge.py", line 12, in charge',
  '    gateway.capture(amount)',
  '  File "/srv/app/billing/gateway.py", line 88, in capture',
  '    raise PaymentDeclined(f"card {card} declined")',
  'billing.gateway.PaymentDeclined: card 4242 declined',
].join('\n');

function event(i: number, overrides: Partial<ErrorEvent> = {}): ErrorEvent {
  return {
    eventId: `t${i}:s${i}:0`,
    traceId: `t${i}`,
    spanId: `s${i}`,
    service: 'billing',
    errorType: 'PaymentDeclined',
    message: `card ${4000 + i} declined`,
    stackTrace: TRACE,
    language: 'python',
    timestamp: Date.UTC(2026, 10, 29, 5, 0, i),
    attributes: {},
    source: 'otlp',
    ...overrides,
  };
}

let dir: string;
let store: SqliteSignatureStore;
let notifier: RecordingNotifier;
let pipeline: IngestPipeline;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rounds-ingest-'));
  store = new SqliteSignatureStore({ path: join(dir, 'signatures.db') });
  await store.open();
  notifier = new RecordingNotifier();
  pipeline = new IngestPipeline({
    store,
    notifier,
    fingerprinter: new Fingerprinter({ includeService: true, inApp: { include: [], exclude: [] } }),
    logger: pino({ level: 'silent' }),
  });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IngestPipeline', () => {
  it('creates one signature for occurrences of one bug, counts them exactly, and announces it once', async () => {
    const first = await pipeline.ingest([event(1), event(2)]);
    expect(first.new).toHaveLength(1);
    expect(first.duplicates).toBe(0);
    const second = await pipeline.ingest([event(2), event(3)]);
    expect(second.new).toEqual([]);
    expect(second.updated).toEqual(first.new);
    expect(second.duplicates).toBe(1);
    const signature = await store.getSignature(first.new[0] ?? '');
    expect(signature?.occurrenceCount).toBe(3);
    expect(signature?.messageTemplate).toBe('card <int> declined');
    expect(notifier.seen.map((n) => n.kind)).toEqual(['new_signature']);
  });

  it('keeps different bugs apart', async () => {
    const result = await pipeline.ingest([
      event(1),
      event(2, { service: 'checkout' }),
      event(3, { errorType: 'Timeout', message: 'gateway timed out' }),
    ]);
    expect(result.new).toHaveLength(3);
  });

  it('reports unusable events and still counts the rest', async () => {
    const result = await pipeline.ingest([event(1), event(2, { eventId: '' }), event(3, { service: ' ' })]);
    expect(result.failed.map((f) => f.index)).toEqual([1, 2]);
    expect(result.failed[0]?.reason).toContain('eventId');
    expect(result.new).toHaveLength(1);
  });

  it('does not fail the batch when a notifier is down: the signature is already durable', async () => {
    notifier.failWith = new Error('notifier down');
    const result = await pipeline.ingest([event(1)]);
    expect(result.new).toHaveLength(1);
    expect(await store.countSignatures()).toBe(1);
  });

  it('rejects when the store cannot take the batch, so the source can ask for a retry', async () => {
    await store.close();
    await expect(pipeline.ingest([event(1)])).rejects.toThrow();
  });
});
