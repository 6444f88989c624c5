import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignatureStore } from '../ports/index.js';
import { SqliteSignatureStore } from '../store/sqlite/sqlite-signature-store.js';
import { diagnosis, fingerprinted, idOf, series, T0 } from '../store/testing/events.js';
import { InvestigationWorker } from './investigation-worker.js';
import { OutboxDispatcher } from './outbox-dispatcher.js';
import { TriagePass } from './triage-pass.js';
import { WorkflowLoops } from './workflow-loops.js';

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;
const POLICY = { minOccurrences: 3, cooldownMs: 24 * HOUR, maxAttempts: 3 };

describe('TriagePass', () => {
  let store: SqliteSignatureStore;
  beforeEach(async () => {
    store = new SqliteSignatureStore({ path: ':memory:' });
    await store.open();
  });
  afterEach(() => store.close());

  it('queues what is ready, records why the rest is not, and ends expired mutes', async () => {
    await store.ingest([
      ...series(3, { signature: 'ready', start: T0 }),
      fingerprinted({ signature: 'rare', timestamp: T0 }),
      ...series(5, { signature: 'muted', start: T0 }),
      ...series(4, { signature: 'done', start: T0 }),
    ]);
    await store.mute(idOf('muted'), { mutedAt: T0, until: T0 + 2 * HOUR });
    await store.addDiagnosis(idOf('done'), diagnosis({ diagnosedAt: T0 + 1000 }));

    const pass = new TriagePass({ store, policy: POLICY, logger, now: () => T0 + HOUR });
    expect(await pass.run()).toEqual({ examined: 4, queued: 1, unmuted: 0, updates: 0 });
    const reason = async (label: string) => (await store.getSignature(idOf(label)))?.triage?.reason;
    expect(await reason('ready')).toBe('new');
    expect(await reason('rare')).toBe('below_min_occurrences');
    expect(await reason('muted')).toBe('muted');
    expect(await reason('done')).toBe('cooldown');

    const later = new TriagePass({ store, policy: POLICY, logger, now: () => T0 + 3 * HOUR });
    expect((await later.run()).unmuted).toBe(1);
    expect(await reason('muted')).toBe('new');
  });
});

describe('WorkflowLoops', () => {
  it('logs a failing round and keeps going', async () => {
    const errors: string[] = [];
    const capture = pino({ level: 'error' }, { write: (line: string) => errors.push(JSON.parse(line).msg) });
    const broken = {
      expireMutes: async () => {
        throw new Error('disk I/O error');
      },
      claimNotifications: async () => {
        throw new Error('disk I/O error');
      },
      claimInvestigation: async () => undefined,
    } as unknown as SignatureStore;
    const engine = { name: 'offline' as const, diagnose: async () => diagnosis() };
    const loops = new WorkflowLoops({
      triage: new TriagePass({ store: broken, policy: POLICY, logger: capture }),
      worker: new InvestigationWorker({
        store: broken,
        engine,
        logger: capture,
        concurrency: 1,
        timeoutMs: 1000,
        maxAttempts: 1,
        retryBaseMs: 1000,
        retryMaxMs: 1000,
      }),
      outbox: new OutboxDispatcher({ store: broken, channels: [], policy: { minConfidence: 'low' }, logger: capture }),
      logger: capture,
      triageIntervalMs: 10,
      outboxIntervalMs: 10,
    });
    loops.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await loops.stop();
    expect(errors.filter((m) => m.startsWith('triage failed')).length).toBeGreaterThan(1);
    expect(errors.filter((m) => m.startsWith('delivering reports failed')).length).toBeGreaterThan(1);
  });
});

describe('TriagePass updates', () => {
  it('queues one update per interval for a reported signature that keeps occurring', async () => {
    const store = new SqliteSignatureStore({ path: ':memory:' });
    await store.open();
    try {
      await store.ingest(series(3, { signature: 'hot', start: T0 }));
      await store.ingest(series(3, { signature: 'unreported', start: T0 }));
      await store.addDiagnosis(idOf('hot'), diagnosis());
      let now = T0 + 60_000;
      const pass = new TriagePass({ store, policy: POLICY, logger, now: () => now, refreshIntervalMs: 15 * 60_000 });
      expect((await pass.run()).updates).toBe(1);
      now += 60_000;
      await store.ingest(series(1, { signature: 'hot', start: now - 1000 }));
      // Same interval: already queued.
      expect((await pass.run()).updates).toBe(0);
      now += 15 * 60_000;
      await store.ingest(series(1, { signature: 'hot', start: now - 1000 }));
      expect((await pass.run()).updates).toBe(1);
      const kinds = (await store.claimNotifications(now, 1000, 10)).map((n) => `${n.kind}:${n.signatureId}`);
      expect(kinds).toEqual([`update:${idOf('hot')}`, `update:${idOf('hot')}`]);
    } finally {
      await store.close();
    }
  });
});
