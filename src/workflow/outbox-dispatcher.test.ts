import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification, Notifier } from '../ports/index.js';
import { SqliteSignatureStore } from '../store/sqlite/sqlite-signature-store.js';
import { diagnosis, fingerprinted, idOf, T0 } from '../store/testing/events.js';
import { channelTakes, decideReport, defaultMinConfidence } from './notification-policy.js';
import { OutboxDispatcher } from './outbox-dispatcher.js';

const logger = pino({ level: 'silent' });
const MINUTE = 60_000;

class RecordingChannel implements Notifier {
  readonly sent: string[] = [];
  failing = false;
  constructor(readonly name: string) {}
  async notify({ kind, signature, samples }: Notification): Promise<void> {
    if (this.failing) throw new Error(`${this.name} is down`);
    this.sent.push(`${kind}:${signature.id}:${samples?.length ?? 0}`);
  }
}

describe('OutboxDispatcher', () => {
  let store: SqliteSignatureStore;
  let now: number;
  let stdout: RecordingChannel;
  let github: RecordingChannel;
  let markdown: RecordingChannel;

  const dispatcher = (minConfidence: 'low' | 'medium' | 'high' = 'medium') =>
    new OutboxDispatcher({
      store,
      channels: [stdout, github, markdown],
      policy: { minConfidence },
      logger,
      now: () => now,
      retryBaseMs: MINUTE,
    });

  async function diagnose(label: string, confidence: 'low' | 'medium' | 'high', tags: string[] = []): Promise<void> {
    await store.ingest([fingerprinted({ signature: label })]);
    if (tags.length > 0) await store.setTags(idOf(label), tags);
    await store.addDiagnosis(idOf(label), diagnosis({ confidence }));
    await store.enqueueNotification({ signatureId: idOf(label), kind: 'diagnosis', key: 'd1', at: T0 });
  }

  beforeEach(async () => {
    store = new SqliteSignatureStore({ path: ':memory:' });
    await store.open();
    now = T0;
    stdout = new RecordingChannel('stdout');
    github = new RecordingChannel('github_issue');
    markdown = new RecordingChannel('markdown');
  });
  afterEach(() => store.close());

  it('delivers a diagnosis to every channel once, with samples', async () => {
    await diagnose('a', 'high');
    expect(await dispatcher().runOnce()).toEqual({ delivered: 1, skipped: 0, deferred: 0 });
    for (const channel of [stdout, github, markdown]) expect(channel.sent).toEqual([`diagnosis:${idOf('a')}:1`]);
    // Queued again by a retry elsewhere: the recorded deliveries stop a second report.
    await store.enqueueNotification({ signatureId: idOf('a'), kind: 'diagnosis', key: 'd1', at: T0 });
    expect(await dispatcher().runOnce()).toEqual({ delivered: 0, skipped: 1, deferred: 0 });
    expect(github.sent).toHaveLength(1);
  });

  it('a failing channel is retried later, alone, and never blocks the others', async () => {
    await diagnose('a', 'high');
    github.failing = true;
    expect(await dispatcher().runOnce()).toEqual({ delivered: 0, skipped: 0, deferred: 1 });
    expect(stdout.sent).toHaveLength(1);
    expect(markdown.sent).toHaveLength(1);
    expect(await store.countPendingNotifications()).toBe(1);

    github.failing = false;
    now = T0 + MINUTE - 1;
    expect((await dispatcher().runOnce()).delivered).toBe(0);
    now = T0 + MINUTE;
    expect(await dispatcher().runOnce()).toEqual({ delivered: 1, skipped: 0, deferred: 0 });
    expect(github.sent).toEqual([`diagnosis:${idOf('a')}:1`]);
    expect(stdout.sent).toHaveLength(1);
    expect(await store.countPendingNotifications()).toBe(0);
  });

  it('holds back a diagnosis below the confidence bar unless the signature is critical', async () => {
    await diagnose('low', 'low');
    await diagnose('critical', 'low', ['critical']);
    expect(await dispatcher('medium').runOnce()).toEqual({ delivered: 1, skipped: 1, deferred: 0 });
    expect(github.sent).toEqual([`diagnosis:${idOf('critical')}:1`]);
  });

  it('sends new signatures and resolves only where they belong', async () => {
    await store.ingest([fingerprinted({ signature: 'r' })]);
    await store.resolve(idOf('r'), { at: T0 });
    await dispatcher().runOnce();
    expect(stdout.sent).toEqual([`resolved:${idOf('r')}:1`]);
    expect(github.sent).toEqual([`resolved:${idOf('r')}:1`]);
    expect(markdown.sent).toEqual([]);
  });
});

describe('notification policy', () => {
  it('keeps new signatures on the terminal only', () => {
    expect(channelTakes('stdout', 'new_signature')).toBe(true);
    expect(channelTakes('markdown', 'new_signature')).toBe(false);
    expect(channelTakes('github_issue', 'new_signature')).toBe(false);
    expect(channelTakes('github_issue', 'resolved')).toBe(true);
  });

  it('defaults to low confidence only for the offline engine', () => {
    expect(defaultMinConfidence('offline')).toBe('low');
    expect(defaultMinConfidence('anthropic')).toBe('medium');
  });

  it('never reports a diagnosis that is not there', async () => {
    const store = new SqliteSignatureStore({ path: ':memory:' });
    await store.open();
    await store.ingest([fingerprinted({ signature: 'x' })]);
    const signature = (await store.getSignature(idOf('x')))!;
    await store.close();
    expect(decideReport('diagnosis', signature, { minConfidence: 'low' })).toMatchObject({ report: false });
    expect(decideReport('regression', signature, { minConfidence: 'high' })).toMatchObject({ report: true });
  });
});
