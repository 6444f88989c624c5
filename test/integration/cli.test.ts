import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createFingerprinter } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import type { ErrorEvent } from '../../src/domain/index.js';
import { SqliteSignatureStore } from '../../src/store/sqlite/sqlite-signature-store.js';
import { runCli, startCli, waitForExit } from '../helpers/cli.js';

const dirs: string[] = [];
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-cli-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const PYTHON_TRACE = [
  'Traceback (most recent call last):',
  '  File "/srv/app/orders/service.py", line 42, in place_order',
  '    user = load_user(user_id)',
  '  File "/srv/app/orders/users.py", line 17, in load_user',
  '    raise UserNotFound(f"user {user_id} not found")',
  'orders.users.UserNotFound: user 42 not found',
].join('\n');

describe('rounds fingerprint', () => {
  it('fingerprints JSON Lines from stdin, grouping values and keeping bad lines apart', async () => {
    const lines = [
      {
        service: 'orders',
        error_type: 'UserNotFound',
        message: 'user 42 not found',
        stacktrace: PYTHON_TRACE,
        language: 'python',
      },
      'this is not json',
      {
        service: 'orders',
        error_type: 'UserNotFound',
        message: 'user 97 not found',
        stacktrace: PYTHON_TRACE.replace('line 42', 'line 44').replaceAll('/srv/app/', '/app/'),
        language: 'python',
      },
      { error_type: 'X', message: 'no service' },
    ].map((line) => (typeof line === 'string' ? line : JSON.stringify(line)));
    const result = await runCli(['fingerprint', '--explain'], { cwd: workDir(), stdin: `${lines.join('\n')}\n` });
    expect(result.code).toBe(1);
    const out = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(4);
    expect(out[0]?.message_template).toBe('user <int> not found');
    expect(out[0]?.strategy).toBe('exception-in-app');
    expect(out[0]?.fingerprint).toBe(out[2]?.fingerprint);
    expect(out[1]).toMatchObject({ line: 2 });
    expect(String(out[1]?.error)).toContain('invalid JSON');
    expect(out[3]).toMatchObject({ line: 4 });
    expect(String(out[3]?.error)).toContain('service');
    const frames = out[0]?.frames as { function: string; in_app: boolean }[];
    expect(frames.map((f) => f.function)).toEqual(['place_order', 'load_user']);
    expect(Array.isArray(out[0]?.explain)).toBe(true);
    expect(result.stderr).toContain('2 of 4 lines');
  });

  it('reads --input FILE and exits 0 when every line is good', async () => {
    const dir = workDir();
    const file = join(dir, 'events.jsonl');
    writeFileSync(
      file,
      `${JSON.stringify({ service: 'api', error_type: 'Timeout', message: 'timed out after 30s' })}\n`,
    );
    const result = await runCli(['fingerprint', '--input', file], { cwd: dir });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(out.strategy).toBe('message');
    expect(out.message_template).toBe('timed out after <duration>');
    expect(out.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('rounds config', () => {
  it('prints the effective configuration with secrets masked', async () => {
    const result = await runCli(['config', '--json'], {
      cwd: workDir(),
      env: { OPENAI_API_KEY: 'sk-proj-very-secret-123456', POLL_INTERVAL_SECONDS: '30' },
    });
    expect(result.code).toBe(0);
    const entries = JSON.parse(result.stdout) as { variable: string; value: string; origin: string }[];
    const byName = new Map(entries.map((e) => [e.variable, e]));
    expect(byName.get('POLL_INTERVAL_SECONDS')).toEqual({
      variable: 'POLL_INTERVAL_SECONDS',
      value: '30',
      origin: 'environment',
    });
    expect(byName.get('OPENAI_API_KEY')?.value).toBe('sk-p****');
    expect(result.stdout).not.toContain('very-secret');
  });

  it('exits 2 with one message listing every bad variable', async () => {
    const result = await runCli(['daemon', '--check-config'], {
      cwd: workDir(),
      env: { POLL_INTERVAL_SECONDS: '5m', STORE_BACKEND: 'mongo' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid configuration (2 problems)');
    expect(result.stderr).toContain('POLL_INTERVAL_SECONDS: expected a positive integer, got "5m"');
    expect(result.stderr).toContain('STORE_BACKEND: expected one of sqlite, postgresql, got "mongo"');
  });
});

describe('rounds daemon', () => {
  it('starts on embedded defaults, creates the store, listens for OTLP, and stops cleanly on SIGTERM', async () => {
    const dir = workDir();
    // Port 0: any free port, so the test never collides with a real receiver on 4317/4318.
    const env = { LOG_FORMAT: 'json', OTLP_GRPC_PORT: '0', OTLP_HTTP_PORT: '0' };
    const { child, output } = await startCli(['daemon'], { cwd: dir, env, ready: /rounds daemon running/ });
    try {
      const logs = output().stderr;
      expect(logs).toContain('store ready');
      expect(logs).toMatch(/otlp grpc listening on 127\.0\.0\.1:\d+/);
      expect(logs).toMatch(/otlp http listening on 127\.0\.0\.1:\d+/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await waitForExit(child)).toBe(0);
    expect(output().stderr).toContain('rounds daemon stopped');
    const dbPath = join(dir, 'data', 'signatures.db');
    expect(existsSync(dbPath)).toBe(true);
    const db = new Database(dbPath, { readonly: true });
    const versions = db.prepare('SELECT version FROM schema_migrations').all();
    db.close();
    expect(versions.length).toBeGreaterThan(0);
  });

  it('runs with no source at all when the receiver is disabled', async () => {
    const dir = workDir();
    const env = { LOG_FORMAT: 'json', OTLP_RECEIVER_ENABLED: 'false' };
    const { child, output } = await startCli(['daemon'], { cwd: dir, env, ready: /rounds daemon running/ });
    child.kill('SIGINT');
    expect(await waitForExit(child)).toBe(0);
    expect(output().stderr).toContain('no telemetry source configured');
  });

  it('refuses to start, with a clear message, when the store path is unusable', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'blocker'), 'a file where a directory should be');
    const result = await runCli(['daemon'], {
      cwd: dir,
      env: {
        STORE_SQLITE_PATH: join(dir, 'blocker', 'x.db'),
        LOG_FORMAT: 'json',
        OTLP_GRPC_PORT: '0',
        OTLP_HTTP_PORT: '0',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('could not start');
    expect(result.stderr).toContain('blocker');
  });
});

describe('rounds show-signatures', () => {
  it('says so when there is no store yet, and prints [] with --json', async () => {
    const dir = workDir();
    const text = await runCli(['show-signatures'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('no signature store at');
    const json = await runCli(['show-signatures', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});

describe('rounds show-signatures with data', () => {
  it('lists what the store holds, filtered and as JSON', async () => {
    const dir = workDir();
    const dbPath = join(dir, 'sigs.db');
    const store = new SqliteSignatureStore({ path: dbPath });
    await store.open();
    const fingerprinter = createFingerprinter(loadConfig({ env: {}, readEnvFile: false }).values);
    const event = (i: number, service: string, message: string): ErrorEvent => ({
      eventId: `e${i}`,
      service,
      errorType: 'ValueError',
      message,
      timestamp: Date.UTC(2026, 10, 29, 6, 0, i),
      attributes: {},
      source: 'cli',
    });
    const events = [event(1, 'api', 'bad id 1'), event(2, 'api', 'bad id 2'), event(3, 'worker', 'queue empty')];
    await store.ingest(events.map((e) => ({ event: e, fingerprint: fingerprinter.fingerprint(e) })));
    await store.close();

    const env = { STORE_SQLITE_PATH: dbPath };
    const all = await runCli(['show-signatures', '--json', '--sort', 'occurrences'], { cwd: dir, env });
    expect(all.code).toBe(0);
    const signatures = JSON.parse(all.stdout) as {
      occurrenceCount: number;
      services: string[];
      messageTemplate: string;
    }[];
    expect(signatures.map((s) => s.occurrenceCount)).toEqual([2, 1]);
    expect(signatures[0]?.messageTemplate).toBe('bad id <int>');

    const worker = await runCli(['show-signatures', '--service', 'worker'], { cwd: dir, env });
    expect(worker.stdout).toContain('ValueError: queue empty');
    expect(worker.stdout).not.toContain('bad id');
    expect(worker.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+COUNT/);

    const bad = await runCli(['show-signatures', '--status', 'bogus'], { cwd: dir, env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Expected --status=bogus to be one of');
  });
});
