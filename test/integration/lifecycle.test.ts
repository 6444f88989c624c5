import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFingerprinter } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import type { ErrorEvent } from '../../src/domain/index.js';
import { SqliteSignatureStore } from '../../src/store/sqlite/sqlite-signature-store.js';
import { runCli, startCli, waitForExit } from '../helpers/cli.js';

const dirs: string[] = [];
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-lifecycle-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TRACE = [
  'Traceback (most recent call last):',
  '  File "/srv/app/orders/service.py", line 42, in place_order',
  '    user = load_user(user_id)',
  '  File "/srv/app/orders/users.py", line 17, in load_user',
  '    return USERS[user_id]',
  "KeyError: 'u-1'",
].join('\n');

/** oclif wraps error messages to the terminal width and prefixes lines with ›. */
const flat = (text: string) => text.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ');

let nextEvent = 0;
function event(version: string, at: number): ErrorEvent {
  nextEvent++;
  return {
    eventId: `ev-${nextEvent}-${at}`,
    service: 'orders',
    serviceVersion: version,
    errorType: 'KeyError',
    message: "'u-1'",
    stackTrace: TRACE,
    language: 'python',
    timestamp: at,
    attributes: {},
    source: 'cli',
  };
}

async function ingest(path: string, events: ErrorEvent[]): Promise<string> {
  const store = new SqliteSignatureStore({ path });
  await store.open();
  try {
    const fingerprinter = createFingerprinter(loadConfig({ env: {}, readEnvFile: false }).values);
    const result = await store.ingest(events.map((e) => ({ event: e, fingerprint: fingerprinter.fingerprint(e) })));
    return result.created[0]?.id ?? result.updated[0] ?? '';
  } finally {
    await store.close();
  }
}

describe('lifecycle commands', () => {
  it('resolve in a version, regress only from that version on, mute with expiry, tag, and show it all', async () => {
    const dir = workDir();
    const db = join(dir, 'rounds.db');
    const env = { STORE_SQLITE_PATH: db };
    const now = Date.now();
    const id = await ingest(db, [event('1.4.1', now - 60_000), event('1.4.1', now - 50_000)]);

    const resolved = await runCli(['resolve', id, '--in-version', '1.4.2', '--json'], { cwd: dir, env });
    expect(resolved.code).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ status: 'resolved', resolution: { inVersion: '1.4.2' } });
    const again = await runCli(['resolve', id], { cwd: dir, env });
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('already resolved');

    // A straggling 1.4.1 pod: still resolved. Then 1.5.0: regressed.
    await ingest(db, [event('1.4.1', Date.now() + 1000)]);
    expect((await runCli(['show-signature', id, '--json'], { cwd: dir, env })).stdout).toContain(
      '"status": "resolved"',
    );
    await ingest(db, [event('1.5.0', Date.now() + 2000)]);
    const shown = await runCli(['show-signature', id], { cwd: dir, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${id}  regressed`);
    expect(shown.stdout).toContain('resolved in 1.4.2');
    expect(shown.stdout).toContain('(it came back)');

    const muted = await runCli(['mute', id, '--reason', 'known upstream bug', '--for', '2h', '--occurrences', '50'], {
      cwd: dir,
      env,
    });
    expect(muted.code).toBe(0);
    expect(muted.stdout).toMatch(/muted sig_\w+ until at .+ or after 50 more occurrences/);
    const detail = JSON.parse((await runCli(['show-signature', id, '--json'], { cwd: dir, env })).stdout);
    expect(detail.signature).toMatchObject({
      status: 'muted',
      mute: { reason: 'known upstream bug', remainingOccurrences: 50 },
    });
    expect(detail.signature.mute.until).toBeGreaterThan(now + 7_000_000);

    const tagged = await runCli(['tag', id, '--add', 'critical', '--add', 'team:orders'], { cwd: dir, env });
    expect(tagged.stdout).toContain('tags: critical, team:orders');
    expect((await runCli(['unmute', id], { cwd: dir, env })).stdout).toBe(`unmuted ${id}\n`);

    const unknown = await runCli(['show-signature', 'sig_0000000000000000'], { cwd: dir, env });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('no signature with id');
    const badDuration = await runCli(['mute', id, '--for', 'soon'], { cwd: dir, env });
    expect(badDuration.code).not.toBe(0);
    expect(badDuration.stderr).toContain('expected a duration like 30m');
  });
});

describe('the daemon diagnoses and reports on its own', () => {
  it('triages a signature past the threshold, diagnoses it offline, writes the markdown report and says why', async () => {
    const dir = workDir();
    const db = join(dir, 'rounds.db');
    const now = Date.now();
    const id = await ingest(db, [event('2.0.0', now - 3000), event('2.0.0', now - 2000), event('2.0.0', now - 1000)]);
    await ingest(db, [
      { ...event('2.0.0', now), errorType: 'TimeoutError', message: 'only once', stackTrace: undefined },
    ]);
    const reports = join(dir, 'reports');
    const env = {
      STORE_SQLITE_PATH: db,
      OTLP_RECEIVER_ENABLED: 'false',
      LOG_FORMAT: 'json',
      NOTIFICATION_BACKEND: 'stdout,markdown',
      NOTIFICATION_OUTPUT_DIR: reports,
      TRIAGE_INTERVAL_SECONDS: '1',
    };
    const { child, output } = await startCli(['daemon'], { cwd: dir, env, ready: /rounds daemon running/ });
    try {
      const deadline = Date.now() + 15_000;
      while (!output().stdout.includes('"report":"diagnosis"') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await waitForExit(child)).toBe(0);
    const lines = output()
      .stdout.split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { report: string; signature: { id: string } });
    expect(lines.filter((l) => l.report === 'diagnosis').map((l) => l.signature.id)).toEqual([id]);

    const [day] = readdirSync(reports);
    const files = readdirSync(join(reports, day!));
    expect(files).toHaveLength(1);
    const markdown = readFileSync(join(reports, day!, files[0]!), 'utf8');
    expect(markdown).toContain('users.py');
    expect(markdown).toContain('low');

    const detail = JSON.parse((await runCli(['show-signature', id, '--json'], { cwd: dir, env })).stdout);
    expect(detail.signature.status).toBe('diagnosed');
    expect(detail.signature.diagnosis.engine).toBe('offline');
    expect(detail.notifications.map((n: { channel: string }) => n.channel).sort()).toEqual(['markdown', 'stdout']);
    const shown = (await runCli(['show-signatures', '--json'], { cwd: dir, env })).stdout;
    const once = JSON.parse(shown).find((s: { id: string }) => s.id !== id);
    expect(once.triage).toMatchObject({ queued: false, reason: 'below_min_occurrences' });
    // Restarting does not report the same diagnosis again.
    const second = await startCli(['daemon'], { cwd: dir, env, ready: /rounds daemon running/ });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    second.child.kill('SIGTERM');
    expect(await waitForExit(second.child)).toBe(0);
    expect(second.output().stdout).not.toContain('"report":"diagnosis"');
  }, 40_000);
});

describe('rounds diagnose', () => {
  it('diagnoses one signature now, refuses a muted one, and never races a live claim', async () => {
    const dir = workDir();
    const db = join(dir, 'rounds.db');
    const env = { STORE_SQLITE_PATH: db, DIAGNOSIS_BACKEND: 'offline', LOG_FORMAT: 'json' };
    const id = await ingest(db, [event('1.0.0', Date.now() - 1000)]);

    const text = await runCli(['diagnose', id], { cwd: dir, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${id}  diagnosed`);
    expect(text.stdout).toMatch(/low confidence · offline/);
    expect(text.stdout).toContain('users.py');
    expect(text.stderr).toContain('"msg":"diagnosing"');

    const json = JSON.parse((await runCli(['diagnose', id, '--json'], { cwd: dir, env })).stdout);
    expect(json.diagnosis.engine).toBe('offline');

    // Another worker holds a live lease on it.
    const store = new SqliteSignatureStore({ path: db });
    await store.open();
    await store.claimSignature(id, 'daemon-elsewhere', Date.now(), 600_000);
    await store.close();
    const busy = await runCli(['diagnose', id], { cwd: dir, env });
    expect(busy.code).toBe(1);
    expect(flat(busy.stderr)).toContain('being diagnosed by another worker');

    const other = await ingest(db, [{ ...event('1.0.0', Date.now()), errorType: 'ValueError', message: 'bad' }]);
    await runCli(['mute', other], { cwd: dir, env });
    const refused = await runCli(['diagnose', other], { cwd: dir, env });
    expect(refused.code).toBe(4);
    expect(flat(refused.stderr)).toContain('unmute or reopen it first');
    expect((await runCli(['diagnose', 'sig_0000000000000000'], { cwd: dir, env })).code).toBe(3);
  }, 60_000);

  it('checks the daily budget on the CLI path too: spent means offline, with a note, and no LLM call', async () => {
    const dir = workDir();
    const db = join(dir, 'rounds.db');
    const id = await ingest(db, [event('1.0.0', Date.now() - 1000)]);
    const store = new SqliteSignatureStore({ path: db });
    await store.open();
    await store.recordCost({ engine: 'openai', model: 'gpt-4', costUsd: 5, outcome: 'ok', at: Date.now() });
    await store.close();
    // Nothing listens there: any LLM call would fail the command.
    const env = {
      STORE_SQLITE_PATH: db,
      DIAGNOSIS_BACKEND: 'openai',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      DAILY_BUDGET_LIMIT: '5',
    };
    const result = await runCli(['diagnose', id, '--json'], { cwd: dir, env });
    expect(result.code).toBe(0);
    const signature = JSON.parse(result.stdout);
    expect(signature.diagnosis.engine).toBe('offline');
    expect(signature.diagnosis.notes.join(' ')).toContain('daily budget is spent');
  }, 30_000);
});

describe('two daemons on one store', () => {
  it('diagnose and report every signature exactly once between them', async () => {
    const dir = workDir();
    const db = join(dir, 'rounds.db');
    const now = Date.now();
    const store = new SqliteSignatureStore({ path: db });
    await store.open();
    const fingerprinter = createFingerprinter(loadConfig({ env: {}, readEnvFile: false }).values);
    const ids: string[] = [];
    for (let s = 0; s < 24; s++) {
      const batch = [0, 1, 2].map((i) => ({
        ...event('1.0.0', now - 10_000 + i),
        errorType: `Error${s}`,
        message: `failure number ${s}`,
      }));
      const result = await store.ingest(batch.map((e) => ({ event: e, fingerprint: fingerprinter.fingerprint(e) })));
      ids.push(...result.created.map((c) => c.id));
    }
    await store.close();
    expect(new Set(ids).size).toBe(24);

    const reports = join(dir, 'reports');
    const env = {
      STORE_SQLITE_PATH: db,
      OTLP_RECEIVER_ENABLED: 'false',
      LOG_FORMAT: 'json',
      NOTIFICATION_BACKEND: 'stdout,markdown',
      NOTIFICATION_OUTPUT_DIR: reports,
      TRIAGE_INTERVAL_SECONDS: '1',
      DIAGNOSIS_CONCURRENCY: '4',
    };
    const daemons = await Promise.all(
      [1, 2].map(() => startCli(['daemon'], { cwd: dir, env, ready: /rounds daemon running/ })),
    );
    const reportLines = () =>
      daemons.flatMap((d) =>
        d
          .output()
          .stdout.split('\n')
          .filter((l) => l.includes('"report":"diagnosis"')),
      );
    try {
      const deadline = Date.now() + 30_000;
      while (reportLines().length < 24 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // Give a double report, if there were one, the time to show up.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      for (const d of daemons) d.child.kill('SIGTERM');
    }
    for (const d of daemons) expect(await waitForExit(d.child)).toBe(0);

    const reported = reportLines().map((l) => (JSON.parse(l) as { signature: { id: string } }).signature.id);
    expect(reported.sort()).toEqual([...ids].sort());
    const check = new SqliteSignatureStore({ path: db });
    await check.open();
    try {
      for (const id of ids) expect(await check.listDiagnoses(id)).toHaveLength(1);
    } finally {
      await check.close();
    }
    const files = readdirSync(reports, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.md'));
    expect(files).toHaveLength(24);
  }, 60_000);
});

describe('RUN_MODE=cli', () => {
  it('runs the deployment guide commands one line at a time from stdin, and keeps going after an error', async () => {
    const dir = workDir();
    const db = join(dir, 'rounds.db');
    const id = await ingest(db, [event('1.0.0', Date.now() - 1000)]);
    const script = [
      'show-signatures',
      'show-signature sig_0000000000000000',
      `diagnose-signature ${id}`,
      `reset-signature ${id}`,
      `rounds tag ${id} --add "team:orders eu"`,
      'export-signatures',
      'exit',
      'show-signatures',
    ].join('\n');
    const result = await runCli(['run'], {
      cwd: dir,
      env: { RUN_MODE: 'cli', STORE_SQLITE_PATH: db, DIAGNOSIS_BACKEND: 'offline', LOG_LEVEL: 'warn' },
      stdin: `${script}\n`,
      timeoutMs: 60_000,
    });
    expect(result.stdout).toMatch(/^ID\s+STATUS\s+COUNT/m);
    expect(result.stdout).toContain('error: no signature with id "sig_0000000000000000"');
    expect(result.stdout).toContain(`${id}  diagnosed`);
    expect(result.stdout).toContain(`reset ${id}: status new, no current diagnosis`);
    expect(result.stdout).toContain('tags: team:orders eu');
    const exported = result.stdout.slice(result.stdout.indexOf('\n[\n') + 1, result.stdout.lastIndexOf('\n]') + 2);
    const signatures = JSON.parse(exported) as { id: string; diagnoses: unknown[]; tags: string[] }[];
    expect(signatures).toHaveLength(1);
    expect(signatures[0]).toMatchObject({ id, tags: ['team:orders eu'] });
    expect(signatures[0]?.diagnoses).toHaveLength(1);
    // One command failed: a script learns it from the exit code. Nothing after `exit` ran.
    expect(result.code).toBe(1);
    expect(result.stdout.match(/^ID\s+STATUS/gm)).toHaveLength(1);
  }, 90_000);
});
