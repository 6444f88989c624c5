/**
 * @module Tests of PostgresqlSignatureStore: the shared store contract against the local server, plus what only a
 * shared database has to get right (several instances at once, connection failures). Every store under test
 * works in a schema of its own, dropped afterwards, so test files can run in parallel.
 */
import { inspect } from 'node:util';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoundsError } from '../../domain/index.js';
import { POSTGRESQL_MIGRATIONS, POSTGRESQL_SCHEMA_VERSION } from '../migrations/postgresql.js';
import { SQLITE_MIGRATIONS } from '../migrations/sqlite.js';
import { runSignatureStoreContract } from '../store.contract.js';
import { fingerprinted, hashOf, idOf, series, T0 } from '../testing/events.js';
import { Database } from './database.js';
import { PgTarget, toStoreError } from './errors.js';
import { PostgresqlSignatureStore, type PostgresqlSignatureStoreOptions } from './postgresql-signature-store.js';
import { createTestSchema, dropTestSchema, findTestServer, inSchema, startHint } from './test-server.js';

const url = await findTestServer();

if (url === undefined) {
  if (process.env.CI === 'true') {
    describe('PostgresqlSignatureStore', () => {
      it('needs a reachable PostgreSQL server in CI', () => {
        throw new Error(startHint());
      });
    });
  } else {
    console.warn(`\n${'!'.repeat(100)}\n!! SKIPPING the PostgreSQL store tests: ${startHint()}\n${'!'.repeat(100)}\n`);
    describe.skip(`PostgresqlSignatureStore (skipped: ${startHint()})`, () => {
      it('runs the store contract against PostgreSQL', () => {});
    });
  }
} else {
  defineTests(url);
}

function defineTests(url: string): void {
  runSignatureStoreContract('postgresql', async () => {
    const schema = await createTestSchema(url);
    const open = async () => {
      const store = new PostgresqlSignatureStore({ url, schema, poolSize: 4 });
      await store.open();
      return store;
    };
    let store = await open();
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await open();
        return store;
      },
      cleanup: async () => {
        await store.close();
        await dropTestSchema(url, schema);
      },
    };
  });

  describe('PostgresqlSignatureStore', () => {
    let schema: string;
    const opened: PostgresqlSignatureStore[] = [];

    const makeStore = (options: Partial<PostgresqlSignatureStoreOptions> = {}) => {
      const store = new PostgresqlSignatureStore({ url, schema, poolSize: 4, ...options });
      opened.push(store);
      return store;
    };
    const openStore = async (options: Partial<PostgresqlSignatureStoreOptions> = {}) => {
      const store = makeStore(options);
      await store.open();
      return store;
    };
    const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
      inSchema(url, schema, async (client) => (await client.query<T>(text, values)).rows);

    beforeEach(async () => {
      schema = await createTestSchema(url);
    });
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      await dropTestSchema(url, schema);
    });

    it('lists migrations as versions 1, 2, 3... matching the SQLite ones', () => {
      expect(POSTGRESQL_MIGRATIONS.map((m) => m.version)).toEqual(POSTGRESQL_MIGRATIONS.map((_, i) => i + 1));
      expect(POSTGRESQL_MIGRATIONS.map((m) => m.name)).toEqual(SQLITE_MIGRATIONS.map((m) => m.name));
      expect(POSTGRESQL_SCHEMA_VERSION).toBe(POSTGRESQL_MIGRATIONS.length);
    });

    it('records applied migrations and does not apply them again on reopen', async () => {
      await (await openStore()).close();
      const first = await sql('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
      expect(first.map((r) => r.version)).toEqual(POSTGRESQL_MIGRATIONS.map((m) => m.version));
      await (await openStore()).close();
      expect(await sql('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')).toEqual(first);
    });

    it('applies migrations once when several instances open a new schema at the same moment', async () => {
      await dropTestSchema(url, schema);
      // The schema does not exist yet: the first instance creates it, under the migration lock.
      const stores = Array.from({ length: 4 }, () => makeStore());
      await Promise.all(stores.map((s) => s.open()));
      const applied = await sql<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(applied.map((r) => r.version)).toEqual(POSTGRESQL_MIGRATIONS.map((m) => m.version));
      await stores[0]!.ingest([fingerprinted({ signature: 'a' })]);
      expect(await stores[3]!.countSignatures()).toBe(1);
    });

    it('refuses a database written by a newer schema, and a failed open leaves nothing open', async () => {
      await (await openStore()).close();
      await sql('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, $1, 0)', ['future']);
      const store = makeStore();
      await expect(store.open()).rejects.toThrow(/schema version 999.*only knows up to/);
      await expect(store.open()).rejects.toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE', retryable: false });
      await expect(store.countSignatures()).rejects.toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE' });
    });

    it('is safe to close before open and twice, and rejects use while closed', async () => {
      const store = makeStore();
      await store.close();
      await expect(store.getSignature('x')).rejects.toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE' });
      await store.open();
      await store.close();
      await store.close();
      await expect(store.ingest([fingerprinted()])).rejects.toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE' });
    });

    it('rejects a schema name that would need quoting', async () => {
      const store = makeStore({ schema: 'Rounds; DROP TABLE x' });
      await expect(store.open()).rejects.toMatchObject({ code: 'ROUNDS_INVALID_CONFIG' });
    });

    it('two instances claiming at once never get the same signature', async () => {
      const a = await openStore();
      const b = await openStore();
      const labels = Array.from({ length: 20 }, (_, i) => `queued-${i}`);
      await a.ingest(labels.map((signature) => fingerprinted({ signature })));
      for (const [i, label] of labels.entries()) {
        await a.recordTriage(idOf(label), {
          queued: true,
          priority: i % 3,
          reason: 'new',
          explanation: 'test',
          components: {},
          decidedAt: T0,
        });
      }
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claimInvestigation(`w${i}`, T0, 60_000)),
      );
      const ids = claims.map((c) => c?.signature.id);
      expect(ids.every((id) => id !== undefined)).toBe(true);
      expect(new Set(ids).size).toBe(20);
      expect(await a.claimInvestigation('late', T0 + 1, 60_000)).toBeUndefined();
      const owners = await sql<{ n: number }>(
        "SELECT count(DISTINCT claimed_by)::int AS n FROM signatures WHERE status = 'investigating'",
      );
      expect(owners[0]?.n).toBe(20);
    });

    it('two instances ingesting the same new signature at once create it once and count exactly', async () => {
      const a = await openStore();
      const b = await openStore();
      const batches = Array.from({ length: 12 }, (_, i) => series(25, { signature: 'hot', start: T0 + i * 100_000 }));
      // Half the batches are delivered to both instances (a redelivery racing the original).
      const work = batches.flatMap((batch, i) =>
        i % 2 === 0 ? [a.ingest(batch), b.ingest(batch)] : [(i % 4 === 1 ? a : b).ingest(batch)],
      );
      const results = await Promise.all(work);
      const created = results.flatMap((r) => r.created.map((s) => s.id));
      expect(created).toEqual([idOf('hot')]);
      expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(12 * 25);
      expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(6 * 25);
      const signature = await b.getSignature(idOf('hot'));
      expect(signature?.occurrenceCount).toBe(12 * 25);
      const hours = await a.hourlyCounts(idOf('hot'), 0);
      expect(hours.reduce((n, h) => n + h.count, 0)).toBe(12 * 25);
      expect((await a.listSamples(idOf('hot'))).length).toBeLessThanOrEqual(20);
    });

    it('reports an unreachable server as retryable, naming the host and never the password', async () => {
      const store = new PostgresqlSignatureStore({
        url: 'postgresql://rounds:hunter2-secret@127.0.0.1:1/rounds',
        connectTimeoutMs: 2000,
      });
      const error = await store.open().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RoundsError);
      expect(error).toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE', retryable: true });
      const message = (error as Error).message;
      expect(message).toContain('cannot open the PostgreSQL store at postgresql://rounds:****@127.0.0.1:1/rounds');
      expect(inspect(error, { depth: 10 })).not.toContain('hunter2-secret');
      expect(JSON.stringify(error)).not.toContain('hunter2-secret');
      await expect(store.countSignatures()).rejects.toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE' });
      expect(inspect(store, { depth: 10 })).not.toContain('hunter2-secret');
    });

    it('keeps the password out of an open store and of its errors', async () => {
      const withPassword = new URL(url);
      withPassword.password = 'pw-open-secret'; // trust auth ignores it
      const store = await openStore({ url: withPassword.toString() });
      await store.ingest([fingerprinted({ signature: 'a' })]);
      expect(inspect(store, { depth: 20, showHidden: true })).not.toContain('pw-open-secret');
      expect(JSON.stringify(store)).not.toContain('pw-open-secret');
      expect(store.location).toContain(':****@');
      await store.close();
      await expect(store.getSignature('x')).rejects.toSatisfy((e: Error) => !e.message.includes('pw-open-secret'));
    });

    it('reports an unknown database as not retryable, naming the server', async () => {
      const wrong = new URL(url);
      wrong.pathname = '/no_such_database_for_rounds';
      wrong.password = 'pw-not-to-show';
      const store = new PostgresqlSignatureStore({ url: wrong.toString() });
      const error = await store.open().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ROUNDS_STORE_UNAVAILABLE', retryable: false });
      expect((error as Error).message).toMatch(/127\.0\.0\.1:5432\/no_such_database_for_rounds.*does not exist/);
      expect(inspect(error, { depth: 10 })).not.toContain('pw-not-to-show');
    });

    it('returns BIGINT columns as numbers without touching the global pg type parsers', async () => {
      const store = await openStore();
      await store.ingest([fingerprinted({ signature: 'a' })]);
      const signature = await store.getSignature(idOf('a'));
      expect(typeof signature?.firstSeen).toBe('number');
      expect(typeof (await store.countSignatures())).toBe('number');
      expect(pg.types.getTypeParser(20, 'text')('9007199254740993')).toBe('9007199254740993');
    });

    it('maps old and new fingerprint hashes to one signature through signature_hashes', async () => {
      const store = await openStore();
      await store.ingest([fingerprinted({ signature: 'old' })]);
      await sql('INSERT INTO signature_hashes (hash, config_id, signature_id) VALUES ($1, $2, $3)', [
        hashOf('new'),
        'fp:next',
        idOf('old'),
      ]);
      const result = await store.ingest([fingerprinted({ signature: 'new' }), fingerprinted({ signature: 'old' })]);
      expect(result).toMatchObject({ created: [], updated: [idOf('old')], accepted: 2 });
      expect((await store.getSignature(idOf('old')))?.occurrenceCount).toBe(3);
    });

    it('honours custom sample limits', async () => {
      const store = await openStore({ maxSamplesPerSignature: 3, maxSamplesPerBatch: 2 });
      await store.ingest(series(4, { signature: 'a' }));
      await store.ingest(series(4, { signature: 'a', start: T0 + 60_000 }));
      const samples = await store.listSamples(idOf('a'));
      expect(samples.map((e) => e.timestamp)).toEqual([T0 + 63_000, T0 + 62_000, T0 + 3000]);
    });

    it('stores text with NUL characters, which PostgreSQL text cannot hold, without failing the batch', async () => {
      const store = await openStore();
      const event = fingerprinted({ signature: 'a', service: 'check\u0000out', message: 'bad \u0000 byte' });
      const { created } = await store.ingest([event]);
      expect(created[0]?.services).toEqual(['check\uFFFDout']);
      expect(await store.getSignature(idOf('a'))).toEqual(created[0]);
      expect(await store.listSamples(idOf('a'))).toEqual([event.event]);
    });

    it('deletes the snapshots of a deleted signature with its samples', async () => {
      const store = await openStore();
      const traceId = 'ab'.repeat(16);
      await store.ingest([fingerprinted({ signature: 'a', traceId })]);
      expect(await store.saveTraceSnapshots([{ traceId, spans: [], capturedAt: T0 }])).toBe(1);
      await sql('DELETE FROM signatures WHERE id = $1', [idOf('a')]);
      expect(await store.getTraceSnapshot(traceId)).toBeUndefined();
    });

    it('runs a transaction again after a deadlock, so both sides of it succeed', async () => {
      const db = new Database(new PgTarget(url), { url, schema, poolSize: 2, connectTimeoutMs: 5000 });
      try {
        await db.query('CREATE TABLE pair (id integer PRIMARY KEY, v integer NOT NULL)');
        await db.query('INSERT INTO pair VALUES (1, 0), (2, 0)');
        let runs = 0;
        const gate = () => {
          let open = () => {};
          const opened = new Promise<void>((resolve) => {
            open = resolve;
          });
          return { open, opened, used: false };
        };
        const gates = { a: gate(), b: gate() };
        // Each takes one row, waits (first run only) until the other holds the other row, then wants that one too.
        const crosswise = (first: number, second: number, mine: typeof gates.a, theirs: typeof gates.a) =>
          db.transaction(async (c) => {
            runs++;
            await c.query('UPDATE pair SET v = v + 1 WHERE id = $1', [first]);
            if (!mine.used) {
              mine.used = true;
              mine.open();
              await theirs.opened;
            }
            await c.query('UPDATE pair SET v = v + 1 WHERE id = $1', [second]);
          });
        await Promise.all([crosswise(1, 2, gates.a, gates.b), crosswise(2, 1, gates.b, gates.a)]);
        expect(runs).toBe(3);
        expect(await db.rows('SELECT id, v FROM pair ORDER BY id')).toEqual([
          { id: 1, v: 2 },
          { id: 2, v: 2 },
        ]);
      } finally {
        await db.end();
      }
    });

    it('keeps its tables in the configured schema only', async () => {
      await openStore();
      const tables = await sql<{ table_schema: string }>(
        "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'signatures' AND table_schema = $1",
        [schema],
      );
      expect(tables).toEqual([{ table_schema: schema }]);
    });
  });

  describe('PostgreSQL store errors', () => {
    const target = new PgTarget('postgresql://rounds:hunter2@db.internal:5432/rounds?sslmode=require');

    it('masks the password of the URL it shows', () => {
      expect(target.display).toBe('postgresql://rounds:****@db.internal:5432/rounds?sslmode=require');
      expect(new PgTarget('postgresql://db:5432/rounds').display).toBe('postgresql://db:5432/rounds');
      expect(new PgTarget('postgresql://u:p@h/d?password=x').display).toBe('postgresql://u:****@h/d');
      expect(new PgTarget('not a url').display).not.toContain('not a url');
      expect(target.scrub('failed for hunter2')).toBe('failed for ****');
    });

    it('turns conflicts and connection failures into retryable ROUNDS_STORE_UNAVAILABLE', () => {
      for (const code of ['40001', '40P01', '08006', '57P01', '53300', 'ECONNREFUSED']) {
        const error = Object.assign(new Error(`failure ${code}`), { code });
        expect(toStoreError(error, target, 'cannot use')).toMatchObject({
          code: 'ROUNDS_STORE_UNAVAILABLE',
          retryable: true,
        });
      }
      const auth = Object.assign(new Error('password authentication failed for user "rounds"'), { code: '28P01' });
      expect(toStoreError(auth, target, 'cannot open')).toMatchObject({ retryable: false });
      const bug = Object.assign(new Error('syntax error'), { code: '42601' });
      expect(toStoreError(bug, target, 'cannot use')).toBe(bug);
    });
  });
}
