import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function captureError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('works with nothing set: embedded defaults for one machine', () => {
    const { values, origins } = loadConfig({ env: {}, readEnvFile: false });
    expect(values.RUN_MODE).toBe('daemon');
    expect(values.TELEMETRY_BACKEND).toBe('none');
    expect(values.STORE_BACKEND).toBe('sqlite');
    expect(values.STORE_SQLITE_PATH).toBe('./data/signatures.db');
    expect(values.NOTIFICATION_BACKEND).toEqual(['stdout']);
    expect(values.POLL_INTERVAL_SECONDS).toBe(60);
    expect(values.POLL_BATCH_SIZE).toBe(100);
    expect(values.ERROR_LOOKBACK_MINUTES).toBe(15);
    expect(values.DAILY_BUDGET_LIMIT).toBe(100);
    expect(values.FINGERPRINT_INCLUDE_SERVICE).toBe(true);
    expect(origins.RUN_MODE).toBe('default');
  });

  it('parses typed values and lists', () => {
    const { values } = loadConfig({
      env: {
        POLL_INTERVAL_SECONDS: '30',
        DAILY_BUDGET_LIMIT: '12.5',
        NOTIFICATION_BACKEND: 'stdout, markdown ,stdout',
        FINGERPRINT_INCLUDE_SERVICE: 'false',
        FINGERPRINT_IN_APP_INCLUDE: 'com.acme.*, */myapp/*',
        SIGNOZ_API_URL: 'http://signoz:4418/',
        TELEMETRY_BACKEND: 'SigNoz',
      },
      readEnvFile: false,
    });
    expect(values.POLL_INTERVAL_SECONDS).toBe(30);
    expect(values.DAILY_BUDGET_LIMIT).toBe(12.5);
    expect(values.NOTIFICATION_BACKEND).toEqual(['stdout', 'markdown']);
    expect(values.FINGERPRINT_INCLUDE_SERVICE).toBe(false);
    expect(values.FINGERPRINT_IN_APP_INCLUDE).toEqual(['com.acme.*', '*/myapp/*']);
    expect(values.SIGNOZ_API_URL).toBe('http://signoz:4418');
    expect(values.TELEMETRY_BACKEND).toBe('signoz');
  });

  it('reports every bad variable in one error, each with its value and what is expected', () => {
    const error = captureError(() =>
      loadConfig({
        env: { POLL_INTERVAL_SECONDS: '5m', RUN_MODE: 'server', WEBHOOK_PORT: '70000', NOTIFICATION_BACKEND: 'slack' },
        readEnvFile: false,
      }),
    );
    expect(error.code).toBe('ROUNDS_INVALID_CONFIG');
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'NOTIFICATION_BACKEND',
      'POLL_INTERVAL_SECONDS',
      'RUN_MODE',
      'WEBHOOK_PORT',
    ]);
    expect(error.message).toContain('POLL_INTERVAL_SECONDS: expected a positive integer, got "5m"');
    expect(error.message).toContain('RUN_MODE: expected one of daemon, cli, webhook, got "server"');
    expect(error.message).toMatch(/^invalid configuration \(4 problems\)/);
  });

  it('takes extra redaction patterns one per line and names a broken one', () => {
    const ok = loadConfig({
      env: { REDACTION_EXTRA_PATTERNS: 'acme-[0-9]{6}\n(?i)internal,token-\\w+' },
      readEnvFile: false,
    });
    expect(ok.values.REDACTION_EXTRA_PATTERNS).toEqual(['acme-[0-9]{6}', '(?i)internal,token-\\w+']);
    const error = captureError(() =>
      loadConfig({ env: { REDACTION_EXTRA_PATTERNS: 'fine-[a-z]+\n(unclosed' }, readEnvFile: false }),
    );
    expect(error.problems.map((p) => p.variable)).toEqual(['REDACTION_EXTRA_PATTERNS']);
    expect(error.message).toContain('(unclosed');
  });

  it('checks combinations and masks secrets in the report', () => {
    const error = captureError(() =>
      loadConfig({
        env: {
          STORE_BACKEND: 'postgresql',
          NOTIFICATION_BACKEND: 'github_issue',
          GITHUB_TOKEN: 'ghp_abcdefghijklmnopqrstuvwxyz012345',
          GITHUB_REPO: 'not a repo',
          DIAGNOSIS_BACKEND: 'anthropic',
        },
        readEnvFile: false,
      }),
    );
    const variables = error.problems.map((p) => p.variable).sort();
    expect(variables).toEqual(['ANTHROPIC_API_KEY', 'GITHUB_REPO', 'STORE_POSTGRESQL_URL']);
    expect(error.message).not.toContain('abcdefghijklmnop');
  });

  it('reports a bad boolean; the loaded values keep the real password (masking is for display only)', () => {
    const error = captureError(() =>
      loadConfig({
        env: { WEBHOOK_REQUIRE_AUTH: 'maybe', STORE_POSTGRESQL_URL: 'postgresql://rounds:hunter2@db:5432/rounds' },
        readEnvFile: false,
      }),
    );
    expect(error.problems.map((p) => p.variable)).toEqual(['WEBHOOK_REQUIRE_AUTH']);
    const ok = loadConfig({
      env: { STORE_POSTGRESQL_URL: 'postgresql://rounds:hunter2@db:5432/rounds' },
      readEnvFile: false,
    });
    expect(ok.values.STORE_POSTGRESQL_URL).toContain('hunter2');
  });

  it('reads .env.rounds from the working directory; the process environment wins', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, '.env.rounds'),
      'POLL_INTERVAL_SECONDS=45\nLOG_LEVEL=debug\n# comment\nSTORE_SQLITE_PATH="/tmp/x.db"\n',
    );
    const { values, origins, envFile } = loadConfig({ env: { LOG_LEVEL: 'warn' }, cwd: dir });
    expect(values.POLL_INTERVAL_SECONDS).toBe(45);
    expect(values.STORE_SQLITE_PATH).toBe('/tmp/x.db');
    expect(values.LOG_LEVEL).toBe('warn');
    expect(origins.POLL_INTERVAL_SECONDS).toBe('file');
    expect(origins.LOG_LEVEL).toBe('environment');
    expect(envFile).toBe(join(dir, '.env.rounds'));
  });

  it('returns a frozen configuration', () => {
    const { values } = loadConfig({ env: {}, readEnvFile: false });
    expect(Object.isFrozen(values)).toBe(true);
    expect(Object.isFrozen(values.NOTIFICATION_BACKEND)).toBe(true);
  });
});
