/** @module Applying the PostgreSQL store's migrations, once, however many instances start at the same moment. */
import { RoundsError } from '../../domain/index.js';
import { LOCK_CLASS, POSTGRESQL_MIGRATIONS } from '../migrations/postgresql.js';
import type { Migration } from '../migrations/sqlite.js';
import type { Database } from './database.js';

/**
 * Brings the schema up to date in one transaction under a transaction-level advisory lock keyed by the schema:
 * a second instance starting at the same time waits for the first, then finds nothing left to do. The schema
 * named by `schema` is created when missing. A database newer than `migrations` is refused, not misread.
 */
export async function migrate(
  db: Database,
  schema: string | undefined,
  migrations: readonly Migration[] = POSTGRESQL_MIGRATIONS,
): Promise<void> {
  checkOrdered(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  await db.transaction(async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2::text, current_schema(), '')))", [
      LOCK_CLASS.migrate,
      schema ?? null,
    ]);
    if (schema !== undefined) {
      const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      // The name was checked against SCHEMA_NAME, so it needs no quoting.
      if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
    }
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > known) {
      throw new RoundsError(
        'ROUNDS_STORE_UNAVAILABLE',
        `the PostgreSQL store at ${db.target.display} has schema version ${current}, but this Rounds only knows up ` +
          `to ${known}; it was written by a newer Rounds: upgrade Rounds or point it at another database`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
    }
  });
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
