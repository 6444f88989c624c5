/** @module Opening a SQLite database for the store: directory, pragmas and migrations. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { RoundsError } from '../../domain/index.js';
import { type Migration, SQLITE_MIGRATIONS } from '../migrations/sqlite.js';

export const MEMORY_PATH = ':memory:';

/** SQLite result codes where waiting or retrying can help (another writer, a full or flaky disk). */
const TRANSIENT = /^SQLITE_(BUSY|LOCKED|IOERR|FULL)/;

export function isTransient(error: unknown): boolean {
  return error instanceof BetterSqlite3.SqliteError && TRANSIENT.test(error.code);
}

/** Opens, configures and migrates the database; closes it again and names the path if any step fails. */
export function openDatabase(
  path: string,
  busyTimeoutMs = 5000,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): Database {
  let db: Database | undefined;
  try {
    if (path !== MEMORY_PATH) mkdirSync(dirname(resolve(path)), { recursive: true });
    db = new BetterSqlite3(path, { timeout: busyTimeoutMs });
    // WAL lets readers (CLI, HTTP API) run while the daemon writes; NORMAL is durable across app crashes
    // and only risks the last transactions on power loss, which re-polling recovers.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    // A batch dirties pages all over the dedupe log, sample index and signatures; a 16 MiB cache keeps most of
    // them from spilling to the WAL mid-transaction while staying inside the daemon's memory budget, and
    // checkpointing every ~16 MiB instead of ~4 MiB writes each hot page back to the database file less often.
    db.pragma('cache_size = -16384');
    db.pragma('wal_autocheckpoint = 4000');
    migrate(db, path, migrations);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof RoundsError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new RoundsError('ROUNDS_STORE_UNAVAILABLE', `cannot open the SQLite store at "${path}": ${reason}`, {
      retryable: isTransient(error),
      cause: error,
    });
  }
}

/** Applies each pending migration in its own IMMEDIATE transaction, so two processes opening at once cannot race. */
export function migrate(db: Database, path: string, migrations: readonly Migration[]): void {
  checkOrdered(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const currentStmt = db.prepare<[], number | null>('SELECT max(version) FROM schema_migrations').pluck();
  const current = (): number => currentStmt.get() ?? 0;
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const known = migrations.at(-1)?.version ?? 0;
  const found = current();
  if (found > known) {
    throw new RoundsError(
      'ROUNDS_STORE_UNAVAILABLE',
      `the SQLite store at "${path}" has schema version ${found}, but this Rounds only knows up to ${known}; ` +
        'it was written by a newer Rounds: upgrade Rounds or point it at another database',
    );
  }
  for (const migration of migrations) {
    if (migration.version <= found) continue;
    db.transaction(() => {
      if (current() >= migration.version) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }).immediate();
  }
}

function checkOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(
        `migration "${m.name}" has version ${m.version}, expected ${i + 1}: versions must run 1, 2, 3...`,
      );
    }
  });
}
