/** @module SQLite ingest throughput (10% new signatures) against a bare INSERT loop of the same events in one transaction. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Fingerprinter } from '../src/fingerprint/index.js';
import type { FingerprintedEvent } from '../src/ports/index.js';
import { SqliteSignatureStore } from '../src/store/sqlite/sqlite-signature-store.js';
import type { BenchResult } from './measure.js';
import { syntheticEvents } from './synthetic-events.js';

const EVENTS = 100_000;
const BATCH = 1_000;
const ROUNDS = 3;

function workload(): FingerprintedEvent[] {
  const events = syntheticEvents(EVENTS, 500);
  const fingerprinter = new Fingerprinter({ includeService: true, inApp: { include: [], exclude: [] } });
  const bySite = new Map<string, ReturnType<Fingerprinter['fingerprint']>>();
  return events.map((event, i) => {
    const key = `${event.service}|${event.stackTrace}`;
    let base = bySite.get(key);
    if (base === undefined) {
      base = fingerprinter.fingerprint(event);
      bySite.set(key, base);
    }
    // Every tenth event is a signature never seen before; the rest repeat one of the 500 known ones.
    const fingerprint = i % 10 === 0 ? { ...base, hash: createHash('sha256').update(`new-${i}`).digest('hex') } : base;
    return { event, fingerprint };
  });
}

async function timeRounds(run: (dir: string) => Promise<void>): Promise<number> {
  const rates: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'rounds-bench-'));
    try {
      const started = process.hrtime.bigint();
      await run(dir);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (round > 0) rates.push(EVENTS / seconds); // round 0 warms up
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? 0;
}

export async function ingestBench(): Promise<BenchResult[]> {
  const work = workload();

  const bare = await timeRounds(async (dir) => {
    const db = new Database(join(dir, 'bare.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE events (event_id TEXT PRIMARY KEY, fingerprint TEXT, timestamp INTEGER, body TEXT)');
    const insert = db.prepare('INSERT INTO events (event_id, fingerprint, timestamp, body) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const { event, fingerprint } of work) {
        insert.run(event.eventId, fingerprint.hash, event.timestamp, JSON.stringify(event));
      }
    })();
    db.close();
  });

  const store = await timeRounds(async (dir) => {
    const signatureStore = new SqliteSignatureStore({ path: join(dir, 'store.db') });
    await signatureStore.open();
    for (let i = 0; i < work.length; i += BATCH) await signatureStore.ingest(work.slice(i, i + BATCH));
    await signatureStore.close();
  });

  const baselineName = 'bare INSERT loop, one transaction (baseline)';
  return [
    { name: baselineName, items: EVENTS, perSecond: bare },
    {
      name: `SqliteSignatureStore.ingest, batches of ${BATCH}, 10% new signatures`,
      items: EVENTS,
      perSecond: store,
      baseline: baselineName,
      ratio: store / bare,
      target: '>= 50% of baseline',
    },
  ];
}
