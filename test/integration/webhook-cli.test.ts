/** The real binary in the webhook mode: `RUN_MODE=webhook rounds run`, probed and fed over HTTP, stopped by SIGTERM. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli, waitForExit } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('RUN_MODE=webhook rounds run', () => {
  it('listens on a free port, answers /healthz and /diagnose, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rounds-webhook-cli-'));
    dirs.push(dir);
    // WEBHOOK_PORT is validated as 1-65535 by the configuration schema, so the test finds a free port itself.
    const free = await freePort();
    const { child, output } = await startCli(['run'], {
      cwd: dir,
      env: {
        RUN_MODE: 'webhook',
        WEBHOOK_PORT: String(free),
        WEBHOOK_API_KEY: 'secret-7f3a',
        WEBHOOK_REQUIRE_AUTH: 'true',
        STORE_SQLITE_PATH: join(dir, 'rounds.db'),
        DIAGNOSIS_BACKEND: 'offline',
        NOTIFICATION_BACKEND: 'markdown',
        NOTIFICATION_OUTPUT_DIR: join(dir, 'reports'),
        LOG_FORMAT: 'json',
      },
      ready: /webhook listening on [^:]+:\d+/,
    });
    try {
      const port = /webhook listening on [^:]+:(\d+)/.exec(output().stderr)?.[1];
      expect(Number(port)).toBe(free);
      const url = `http://127.0.0.1:${port}`;

      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const alert = {
        service: 'payment-service',
        error_type: 'DatabaseTimeoutError',
        message: 'timeout after 30000 ms',
        timestamp: '2025-02-19T10:30:00Z',
      };
      const headers = { 'content-type': 'application/json', 'x-api-key': 'secret-7f3a' };
      const refused = await fetch(`${url}/diagnose`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
      });
      expect(refused.status).toBe(401);
      const response = await fetch(`${url}/diagnose?wait=true`, {
        method: 'POST',
        headers,
        body: JSON.stringify(alert),
      });
      expect(response.status).toBe(200);
      const signature = (await response.json()) as { id: string; status: string; diagnosis?: { engine: string } };
      expect(signature).toMatchObject({ status: 'diagnosed', diagnosis: { engine: 'offline' } });
      const shown = await fetch(`${url}/signatures/${signature.id}`, { headers: { 'x-api-key': 'secret-7f3a' } });
      expect(shown.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await waitForExit(child, 15_000)).toBe(0);
    const { stderr } = output();
    expect(stderr).toContain('rounds webhook stopped');
    // The webhook mode runs neither the OTLP receiver nor the daemon's loops, and never logs the key.
    expect(stderr).not.toContain('source started');
    expect(stderr).not.toContain('triage, diagnosis and report delivery started');
    expect(stderr).not.toContain('secret-7f3a');
    // Nothing failed on the way down (a report delivery racing the store's close, say).
    expect(stderr).not.toMatch(/"level":(50|60)/);
  }, 40_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
