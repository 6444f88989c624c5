/** @module Tests of SqliteSignatureStore: the shared store contract on a real file, plus SQLite-only behaviour. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureIdFor } from '../../domain/index.js';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from '../migrations/sqlite.js';
import { runSignatureStoreContract } from '../store.contract.js';
import { fingerprinted, hashOf, series, T0 } from '../testing/events.js';
import { openDatabase } from './open.js';
import { SqliteSignatureStore } from './sqlite-signature-store.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rounds-store-'));
}

runSignatureStoreContract('sqlite file', async () => {
  const dir = tempDir();
  const path = join(dir, 'nested', 'rounds.db');
  let store = new SqliteSignatureStore({ path });
  await store.open();
  return {
    store,
    reopen: async () => {
      await store.close();
      store = new SqliteSignatureStore({ path });
      await store.open();
      return store;
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

runSignatureStoreContract('sqlite :memory:', async () => {
  const store = new SqliteSignatureStore({ path: ':memory:' });
  await store.open();
  return { store, cleanup: () => store.close() };
});

describe('SqliteSignatureStore', () => {
  let dir: string;
  let path: string;
  const opened: SqliteSignatureStore[] = [];

  const openStore = async (options: Partial<ConstructorParameters<typeof SqliteSignatureStore>[0]> = {}) => {
    const store = new SqliteSignatureStore({ path, ...options });
    opened.push(store);
    await store.open();
    return store;
  };
  const raw = () => new BetterSqlite3(path);

  beforeEach(() => {
    dir = tempDir();
    path = join(dir, 'rounds.db');
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists migrations as versions 1, 2, 3... with distinct names', () => {
    expect(SQLITE_MIGRATIONS.map((m) => m.version)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
    expect(new Set(SQLITE_MIGRATIONS.map((m) => m.name)).size).toBe(SQLITE_MIGRATIONS.length);
    expect(SQLITE_SCHEMA_VERSION).toBe(SQLITE_MIGRATIONS.length);
  });

  it('records applied migrations and does not apply them again on reopen', async () => {
    await (await openStore()).close();
    const db = raw();
    const firstRun = db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
    db.close();
    expect(firstRun.map((r) => (r as { version: number }).version)).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));

    await (await openStore()).close();
    const again = raw();
    expect(again.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all()).toEqual(
      firstRun,
    );
    again.close();
  });

  it('applies only the migrations a database has not seen', () => {
    openDatabase(path).close();
    const extra = { version: SQLITE_SCHEMA_VERSION + 1, name: 'extra', sql: 'CREATE TABLE extra (x INTEGER);' };
    // Re-running the initial migration would fail on CREATE TABLE signatures, so success proves it was skipped.
    const db = openDatabase(path, 1000, [...SQLITE_MIGRATIONS, extra]);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    db.close();
    expect(versions).toEqual([...SQLITE_MIGRATIONS.map((m) => m.version), extra.version]);
  });

  it('upgrades a version 1 database with samples in place, and their traces can take snapshots', async () => {
    const store = await openStore();
    const sampled = fingerprinted({ signature: 'a' });
    await store.ingest([sampled]);
    await store.close();
    // Back to what a version 1 Rounds left behind: its data, none of migrations 2 and 3.
    const db = raw();
    const addedColumns = `resolved_at resolved_in_version muted_at mute_reason mute_until mute_occurrences_left queued
      priority status_before_claim last_error last_failure_at triage`.split(/\s+/);
    db.exec(`DROP TABLE notification_outbox; DROP TABLE triage_decisions; DROP INDEX signatures_queue;
      ${addedColumns.map((c) => `ALTER TABLE signatures DROP COLUMN ${c};`).join(' ')}
      DROP TRIGGER sample_events_release_trace; DROP INDEX sample_events_by_trace; DROP TABLE trace_snapshots;
      DELETE FROM schema_migrations WHERE version >= 2`);
    db.close();

    const upgraded = await openStore();
    const traceId = sampled.event.traceId!;
    const snapshot = { traceId, spans: [], capturedAt: T0 };
    expect(await upgraded.saveTraceSnapshots([snapshot])).toBe(1);
    expect(await upgraded.getTraceSnapshot(traceId)).toEqual(snapshot);
    expect(await upgraded.listSamples(signatureIdFor(hashOf('a')))).toEqual([sampled.event]);
  });

  it('refuses a database written by a newer schema', async () => {
    await (await openStore()).close();
    const db = raw();
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'future', 0);
    db.close();

    const store = new SqliteSignatureStore({ path });
    await expect(store.open()).rejects.toThrow(/schema version 999.*only knows up to/);
    await expect(store.open()).rejects.toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE', retryable: false });
    // A failed open leaves nothing open.
    await expect(store.countSignatures()).rejects.toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE' });
    await store.close();
  });

  it('fails to open a directory, naming the path', async () => {
    const store = new SqliteSignatureStore({ path: dir });
    await expect(store.open()).rejects.toThrow(`cannot open the SQLite store at "${dir}"`);
  });

  it('fails to open a corrupt file, naming the path', async () => {
    writeFileSync(path, 'not a database, just text. '.repeat(200));
    const store = new SqliteSignatureStore({ path });
    await expect(store.open()).rejects.toThrow(new RegExp(`store at "${path}".*not a database`));
  });

  it('fails to open under a path it cannot create, naming the path', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const store = new SqliteSignatureStore({ path: join(file, 'rounds.db') });
    await expect(store.open()).rejects.toThrow(`cannot open the SQLite store at "${join(file, 'rounds.db')}"`);
  });

  it('opens in WAL mode', async () => {
    await openStore();
    const db = raw();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('works in memory', async () => {
    const store = new SqliteSignatureStore({ path: ':memory:' });
    opened.push(store);
    await store.open();
    await store.ingest(series(3, { signature: 'a' }));
    expect((await store.getSignature(signatureIdFor(hashOf('a'))))?.occurrenceCount).toBe(3);
  });

  it('is safe to close before open and twice, and rejects use while closed', async () => {
    const store = new SqliteSignatureStore({ path });
    await store.close();
    await expect(store.getSignature('x')).rejects.toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE' });
    await store.open();
    await store.close();
    await store.close();
  });

  it('honours custom sample limits', async () => {
    const store = await openStore({ maxSamplesPerSignature: 3, maxSamplesPerBatch: 2 });
    await store.ingest(series(4, { signature: 'a' }));
    await store.ingest(series(4, { signature: 'a', start: T0 + 60_000 }));
    const samples = await store.listSamples(signatureIdFor(hashOf('a')));
    expect(samples.map((e) => e.timestamp)).toEqual([T0 + 63_000, T0 + 62_000, T0 + 3000]);
  });

  it('maps old and new fingerprint hashes to one signature through signature_hashes', async () => {
    const store = await openStore();
    await store.ingest([fingerprinted({ signature: 'old' })]);
    await store.close();
    const db = raw();
    const newHash = hashOf('new');
    db.prepare('INSERT INTO signature_hashes (hash, config_id, signature_id) VALUES (?, ?, ?)').run(
      newHash,
      'fp:next',
      signatureIdFor(hashOf('old')),
    );
    db.close();

    const reopened = await openStore();
    const result = await reopened.ingest([fingerprinted({ signature: 'new' })]);
    expect(result).toMatchObject({ created: [], updated: [signatureIdFor(hashOf('old'))] });
    expect((await reopened.getSignature(signatureIdFor(hashOf('old'))))?.occurrenceCount).toBe(2);
  });

  it('reports a locked database as retryable and keeps the batch out', async () => {
    const store = await openStore({ busyTimeoutMs: 50 });
    await store.ingest([fingerprinted({ signature: 'a' })]);
    const blocker = raw();
    blocker.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.ingest([fingerprinted({ signature: 'a' })])).rejects.toMatchObject({
        code: 'ROUNDS_STORE_UNAVAILABLE',
        retryable: true,
      });
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect((await store.getSignature(signatureIdFor(hashOf('a'))))?.occurrenceCount).toBe(1);
  });

  it("stores the fingerprint's stack hash, and none when no stack contributed", async () => {
    const store = await openStore();
    const withStack = fingerprinted({ signature: 'a' });
    const { created } = await store.ingest([withStack]);
    expect(created[0]?.stackHash).toBe(withStack.fingerprint.stackHash);
    const { stackHash: _dropped, ...noStack } = fingerprinted({ signature: 'b' }).fingerprint;
    const second = await store.ingest([{ ...fingerprinted({ signature: 'b' }), fingerprint: noStack }]);
    expect(second.created[0]?.stackHash).toBeUndefined();
    expect((await store.getSignature(second.created[0]!.id))?.stackHash).toBeUndefined();
  });
});
