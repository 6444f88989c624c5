/** @module The PostgreSQL store's connection pool: scoped type parsing, transactions, and retry of conflicts. */

import type { CustomTypesConfig, PoolClient, QueryResultRow } from 'pg';
import pg from 'pg';
import { isConflict, type PgTarget, toStoreError } from './errors.js';

/** Something that runs a parameterised query: the pool, or a client inside a transaction. */
export interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface DatabaseConfig {
  readonly url: string;
  /** Schema to work in (the connections' search_path); the server's default when absent. */
  readonly schema?: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
}

const INT8_OID = 20;

/**
 * BIGINT (epoch milliseconds, counts, identity ids) as a JavaScript number. Scoped to this pool's clients: the
 * global pg.types parsers, which other code may rely on, are left alone. Every BIGINT the store writes is well
 * inside Number.MAX_SAFE_INTEGER.
 */
const STORE_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

/** Transactions that hit a serialization failure or deadlock are run again this many times before giving up. */
const CONFLICT_ATTEMPTS = 5;

/** Schema names the store accepts: plain lowercase identifiers, which need no quoting anywhere. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class Database {
  readonly pool: pg.Pool;

  constructor(
    readonly target: PgTarget,
    config: DatabaseConfig,
  ) {
    this.pool = new pg.Pool({
      connectionString: withSearchPath(config.url, config.schema),
      max: config.poolSize,
      connectionTimeoutMillis: config.connectTimeoutMs,
      keepAlive: true,
      // A transaction left open by a hung process would hold its row locks for good; none of ours idles that long.
      idle_in_transaction_session_timeout: 60_000,
      application_name: 'rounds',
      types: STORE_TYPES,
    });
    // An idle connection the server closed: the pool drops it and opens another when needed. Without a listener
    // the 'error' event would crash the process.
    this.pool.on('error', () => {});
  }

  /** One statement on any pooled connection; a statement is atomic, so a conflict simply runs it again. */
  async query<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.retrying(() => this.pool.query<R>(text, values));
  }

  async rows<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(text, values)).rows;
  }

  /**
   * Runs `work` in one READ COMMITTED transaction on one connection. `work` may run more than once (after a
   * serialization failure or deadlock), so it must keep its effects inside the transaction until it returns.
   */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.retrying(async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is unusable: the pool must not hand it out again.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      } finally {
        client.release(broken);
      }
    });
  }

  async end(): Promise<void> {
    await this.pool.end();
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (n < CONFLICT_ATTEMPTS && isConflict(error)) {
          await sleep(5 * 2 ** n + Math.random() * 10 * n);
          continue;
        }
        throw toStoreError(error, this.target, 'cannot use');
      }
    }
  }
}

/** Adds `-c search_path=<schema>` to the URL's startup options (after any it already has). */
function withSearchPath(url: string, schema: string | undefined): string {
  if (schema === undefined) return url;
  const parsed = new URL(url);
  const existing = parsed.searchParams.get('options');
  const setting = `-c search_path=${schema}`;
  parsed.searchParams.set('options', existing ? `${existing} ${setting}` : setting);
  return parsed.toString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
