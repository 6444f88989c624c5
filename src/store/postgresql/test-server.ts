/** @module For tests: finds the local PostgreSQL server, and gives each test a schema of its own. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** How to start the server this machine's tests expect. */
export function startHint(): string {
  return (
    `PostgreSQL is not reachable (tried ${candidates().join(', ')}); start the local server with: ` +
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start ' +
    '(or point ROUNDS_TEST_POSTGRESQL_URL at another server)'
  );
}

function candidates(): string[] {
  const configured = process.env.ROUNDS_TEST_POSTGRESQL_URL;
  if (configured) return [configured];
  return ['postgresql://root@127.0.0.1:5432/test', 'postgresql://postgres@127.0.0.1:5432/test'];
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The first candidate URL a connection succeeds on, or undefined when there is no server to test against. */
export async function findTestServer(): Promise<string | undefined> {
  for (const url of candidates()) {
    try {
      await withClient(url, (client) => client.query('SELECT 1'));
      return url;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** A fresh, uniquely named schema, so test files running in parallel never see each other's tables. */
export async function createTestSchema(url: string): Promise<string> {
  const schema = `rounds_test_${randomBytes(6).toString('hex')}`;
  await withClient(url, (client) => client.query(`CREATE SCHEMA ${schema}`));
  return schema;
}

export async function dropTestSchema(url: string, schema: string): Promise<void> {
  await withClient(url, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

/** Runs SQL in a schema, for tests that look at or tamper with what the store wrote. */
export async function inSchema<T>(url: string, schema: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(url, async (client) => {
    await client.query(`SET search_path TO ${schema}`);
    return work(client);
  });
}
