import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Diagnosis, TriageDecision } from '../domain/index.js';
import type { DiagnosisEngine, InvestigationContext } from '../ports/index.js';
import { SqliteSignatureStore } from '../store/sqlite/sqlite-signature-store.js';
import { diagnosis, fingerprinted, idOf, T0 } from '../store/testing/events.js';
import { InvestigationWorker, type InvestigationWorkerOptions } from './investigation-worker.js';

const logger = pino({ level: 'silent' });
const MINUTE = 60_000;

/** An engine that records every call and answers as the test scripts it. */
class ScriptedEngine implements DiagnosisEngine {
  readonly name = 'offline' as const;
  readonly calls: string[] = [];
  constructor(private readonly answer: (context: InvestigationContext, signal?: AbortSignal) => Promise<Diagnosis>) {}
  diagnose(context: InvestigationContext, signal?: AbortSignal): Promise<Diagnosis> {
    this.calls.push(context.signature.id);
    return this.answer(context, signal);
  }
}

const queued = (priority: number): TriageDecision => ({
  queued: true,
  priority,
  reason: 'new',
  explanation: 'test',
  components: {},
  decidedAt: T0,
});

describe('InvestigationWorker', () => {
  let dir: string;
  const stores: SqliteSignatureStore[] = [];

  async function openStore(): Promise<SqliteSignatureStore> {
    const store = new SqliteSignatureStore({ path: join(dir, 'rounds.db') });
    await store.open();
    stores.push(store);
    return store;
  }

  async function seed(store: SqliteSignatureStore, labels: readonly string[]): Promise<void> {
    await store.ingest(labels.map((signature) => fingerprinted({ signature })));
    for (const [i, label] of labels.entries()) await store.recordTriage(idOf(label), queued(100 - i));
  }

  function worker(options: Partial<InvestigationWorkerOptions> & Pick<InvestigationWorkerOptions, 'store' | 'engine'>) {
    return new InvestigationWorker({
      logger,
      concurrency: 1,
      timeoutMs: 5000,
      maxAttempts: 3,
      retryBaseMs: MINUTE,
      retryMaxMs: 60 * MINUTE,
      ...options,
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rounds-worker-'));
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two workers on one store file never diagnose the same signature twice', async () => {
    const labels = Array.from({ length: 12 }, (_, i) => `sig-${i}`);
    await seed(await openStore(), labels);
    // Two connections to the same file, as two Rounds processes would have.
    const engine = new ScriptedEngine(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return diagnosis({ diagnosedAt: Date.now() });
    });
    const workers = [
      worker({ store: await openStore(), engine, concurrency: 3, workerId: 'a' }),
      worker({ store: await openStore(), engine, concurrency: 3, workerId: 'b' }),
    ];
    await Promise.all(workers.map((w) => w.fill()));
    await Promise.all(workers.map((w) => w.idle()));

    expect([...engine.calls].sort()).toEqual(labels.map(idOf).sort());
    const store = stores[0]!;
    for (const label of labels) {
      expect(await store.listDiagnoses(idOf(label))).toHaveLength(1);
      expect((await store.getSignature(idOf(label)))?.status).toBe('diagnosed');
    }
  });

  it('takes over a claim whose worker died once its lease has expired', async () => {
    const store = await openStore();
    await seed(store, ['orphan']);
    // A worker claimed it and crashed: nobody renews the lease.
    await store.claimInvestigation('crashed-worker', Date.now() - 10 * MINUTE, MINUTE);
    expect((await store.getSignature(idOf('orphan')))?.status).toBe('investigating');

    const engine = new ScriptedEngine(async () => diagnosis());
    const rescuer = worker({ store, engine });
    expect(await rescuer.fill()).toEqual([idOf('orphan')]);
    await rescuer.idle();
    expect(engine.calls).toEqual([idOf('orphan')]);
    expect((await store.getSignature(idOf('orphan')))?.status).toBe('diagnosed');
  });

  it('backs off exponentially after failures and gives up after the attempt limit', async () => {
    const store = await openStore();
    await seed(store, ['flaky-engine']);
    let now = T0;
    const engine = new ScriptedEngine(async () => {
      throw new Error('upstream 503');
    });
    const w = worker({ store, engine, now: () => now, maxAttempts: 3 });
    const id = idOf('flaky-engine');

    await w.fill();
    await w.idle();
    expect(await store.getSignature(id)).toMatchObject({
      status: 'new',
      investigation: { attempts: 1, lastError: 'upstream 503', nextAttemptAt: T0 + MINUTE },
    });
    now = T0 + MINUTE - 1;
    expect(await w.fill()).toEqual([]);
    now = T0 + MINUTE;
    await w.fill();
    await w.idle();
    // Doubles: the second failure waits two minutes.
    expect((await store.getSignature(id))?.investigation).toMatchObject({
      attempts: 2,
      nextAttemptAt: now + 2 * MINUTE,
    });
    now += 2 * MINUTE;
    await w.fill();
    await w.idle();
    expect((await store.getSignature(id))?.investigation?.attempts).toBe(3);
    now += 24 * 60 * MINUTE;
    expect(await w.fill()).toEqual([]);
    expect(engine.calls).toHaveLength(3);
  });

  it('one bad signature does not stall the others', async () => {
    const store = await openStore();
    await seed(store, ['poison', 'fine']);
    const engine = new ScriptedEngine(async ({ signature }) => {
      if (signature.id === idOf('poison')) throw new Error('cannot parse');
      return diagnosis();
    });
    const w = worker({ store, engine });
    await w.fill();
    await w.idle();
    expect(engine.calls).toEqual([idOf('poison'), idOf('fine')]);
    expect((await store.getSignature(idOf('fine')))?.status).toBe('diagnosed');
  });

  it('times out an engine that never answers, even one that ignores its abort signal', async () => {
    const store = await openStore();
    await seed(store, ['stuck']);
    const engine = new ScriptedEngine(() => new Promise<Diagnosis>(() => {}));
    const w = worker({ store, engine, timeoutMs: 50 });
    await w.fill();
    await w.idle();
    expect((await store.getSignature(idOf('stuck')))?.investigation).toMatchObject({
      attempts: 1,
      lastError: 'the diagnosis took longer than 0 s',
    });
  });

  it('on stop, releases the claims in progress without counting a failure', async () => {
    const store = await openStore();
    await seed(store, ['long']);
    const engine = new ScriptedEngine(
      (_context, signal) =>
        new Promise<Diagnosis>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    );
    const w = worker({ store, engine });
    await w.fill();
    await w.stop();
    const after = await store.getSignature(idOf('long'));
    expect(after?.status).toBe('new');
    expect(after?.investigation).toBeUndefined();
    expect(await w.fill()).toEqual([]);
  });

  it('a budget check can postpone a diagnosis without counting it as an attempt', async () => {
    const store = await openStore();
    await seed(store, ['expensive']);
    const engine = new ScriptedEngine(async () => diagnosis());
    const w = worker({ store, engine, beforeDiagnosis: async () => 'the daily budget is spent' });
    await w.fill();
    await w.idle();
    expect(engine.calls).toEqual([]);
    const after = await store.getSignature(idOf('expensive'));
    expect(after?.status).toBe('new');
    expect(after?.investigation).toBeUndefined();
  });
});
