/**
 * The sample application's errors through the whole pipeline, in process: ingest -> triage -> the real Anthropic
 * SDK engine against a local stand-in -> citation check -> store -> markdown report. Checks what the model was sent
 * (the right code, no secrets) and what came back.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, createFingerprinter, type RoundsApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import type { ErrorEvent, Signature } from '../../src/domain/index.js';
import { SqliteSignatureStore } from '../../src/store/sqlite/sqlite-signature-store.js';
import { runCli } from '../helpers/cli.js';
import { type StandIn, startAnthropicStandIn } from '../helpers/llm-standins/anthropic.js';
import { reply, toolCall } from '../helpers/llm-standins/script.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample-app/', import.meta.url));
const TRACE = readFileSync(join(SAMPLE, 'telemetry/orders-keyerror.txt'), 'utf8');
// Pieces joined at run time so no file holds a whole token a secret scanner would flag.
const SECRET = ['ghp', '_', 'R7dQ2mX9vL4kP8sT1wZ6yB3nC5hJ0fG2aE4u'].join('');

const dirs: string[] = [];
const apps: RoundsApp[] = [];
const standIns: StandIn[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
  for (const standIn of standIns.splice(0)) await standIn.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function events(n: number): ErrorEvent[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    eventId: `keyerror-${i}-${now}`,
    traceId: `${'4bf92f3577b34da6a3ce929d0e0e47'}${String(10 + i)}`,
    spanId: `00f067aa0ba902b${i}`,
    service: 'orders',
    serviceVersion: '3.1.0',
    errorType: 'KeyError',
    message: `'SKU-404' (catalogue sync auth=${SECRET})`,
    stackTrace: TRACE,
    language: 'python',
    timestamp: now - (n - i) * 1000,
    attributes: { 'http.route': '/orders' },
    source: 'otlp',
  }));
}

async function start(env: Record<string, string>): Promise<{ app: RoundsApp; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-diagnosis-'));
  dirs.push(dir);
  const config = loadConfig({
    env: {
      STORE_SQLITE_PATH: join(dir, 'rounds.db'),
      OTLP_RECEIVER_ENABLED: 'false',
      NOTIFICATION_BACKEND: 'markdown',
      NOTIFICATION_OUTPUT_DIR: join(dir, 'reports'),
      CODEBASE_PATH: join(SAMPLE, 'code'),
      TRIAGE_INTERVAL_SECONDS: '1',
      ...env,
    },
    readEnvFile: false,
  }).values;
  const app = createApp({ config, logger: pino({ level: 'silent' }) });
  apps.push(app);
  await app.start();
  return { app, dir };
}

async function diagnosed(app: RoundsApp, id: string, timeoutMs = 20_000): Promise<Signature> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const signature = await app.store.getSignature(id);
    if (signature?.diagnosis) return signature;
    if (Date.now() > deadline) throw new Error(`no diagnosis for ${id}: ${JSON.stringify(signature?.triage)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('diagnosis of the sample application through the whole pipeline', () => {
  it('sends the right code and no secrets, verifies citations, records the cost and reports', async () => {
    const answer = {
      root_cause: 'line_total looks up PRICES[line["sku"]] and SKU-404 is not in the price table yet.',
      evidence: [
        { description: 'The failing lookup', reference: '/app/orders/service.py:14' },
        { description: 'The failing span', reference: 'span:00f067aa0ba902b0' },
      ],
      suggested_fix: 'Use PRICES.get and reject unknown SKUs with a 422 in orders/service.py:14.',
      confidence: 'high',
    };
    const standIn = await startAnthropicStandIn([
      reply(toolCall('read_file', { path: 'orders/service.py', start_line: 1, end_line: 22 }), {
        usage: { input: 4000, output: 200 },
      }),
      reply(toolCall('submit_diagnosis', answer), { usage: { input: 5000, output: 400 } }),
    ]);
    standIns.push(standIn);
    const { app, dir } = await start({
      DIAGNOSIS_BACKEND: 'anthropic',
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: standIn.url,
      CLAUDE_MODEL: 'claude-sonnet-4-5',
    });
    const summary = await app.pipeline.ingest(events(3));
    const id = summary.new[0]!;
    const signature = await diagnosed(app, id);

    // What the model saw: the faulting line and its neighbourhood, fenced as data; never the secret.
    const sent = JSON.stringify(standIn.requests.map((r) => r.body));
    expect(sent).toContain('unit_price = PRICES[line[\\"sku\\"]]');
    expect(sent).toContain('orders/service.py');
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('[REDACTED:github_token]');
    // The tool result the model asked for came back from the codebase.
    const second = JSON.stringify(standIn.requests[1]?.body);
    expect(second).toContain('catalogue sync has not delivered');

    expect(signature.status).toBe('diagnosed');
    expect(signature.diagnosis).toMatchObject({ engine: 'anthropic', confidence: 'high', model: 'claude-sonnet-4-5' });
    expect(signature.diagnosis?.citations).toEqual({ checked: 3, unverified: [] });
    // 9000 input and 600 output tokens at $3 / $15 per million.
    expect(signature.diagnosis?.costUsd).toBeCloseTo(0.036, 6);
    expect(await app.store.costSince(0)).toBeCloseTo(0.036, 6);

    const deadline = Date.now() + 10_000;
    let files: string[] = [];
    while (files.length === 0 && Date.now() < deadline) {
      const reports = join(dir, 'reports');
      files = readdirSync(reports, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.md'));
      if (files.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const report = readFileSync(join(dir, 'reports', files[0]!), 'utf8');
    expect(report).toContain('PRICES');
    expect(report).not.toContain(SECRET);
  }, 40_000);

  it('lowers the confidence of a diagnosis whose citations do not exist', async () => {
    const standIn = await startAnthropicStandIn([
      reply(
        toolCall('submit_diagnosis', {
          root_cause: 'The tax module divides by zero.',
          evidence: [{ description: 'Invented', reference: 'orders/tax.py:88' }],
          suggested_fix: 'Guard the division.',
          confidence: 'high',
        }),
      ),
    ]);
    standIns.push(standIn);
    const { app } = await start({
      DIAGNOSIS_BACKEND: 'anthropic',
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: standIn.url,
    });
    const id = (await app.pipeline.ingest(events(3))).new[0]!;
    const signature = await diagnosed(app, id);
    expect(signature.diagnosis?.confidence).toBe('medium');
    expect(signature.diagnosis?.citations?.unverified).toEqual(['orders/tax.py:88']);
    expect(signature.diagnosis?.notes?.[0]).toContain('could not be verified');
  }, 40_000);

  it('falls back to the offline engine, and says so, when the daily budget is spent', async () => {
    const standIn = await startAnthropicStandIn([]);
    standIns.push(standIn);
    const { app } = await start({
      DIAGNOSIS_BACKEND: 'anthropic',
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: standIn.url,
      DAILY_BUDGET_LIMIT: '1',
    });
    await app.store.recordCost({ engine: 'anthropic', model: 'm', costUsd: 1.5, outcome: 'ok', at: Date.now() });
    const id = (await app.pipeline.ingest(events(3))).new[0]!;
    const signature = await diagnosed(app, id);
    expect(signature.diagnosis?.engine).toBe('offline');
    expect(signature.diagnosis?.notes?.join(' ')).toContain('daily budget is spent');
    expect(standIn.requests).toHaveLength(0);
  }, 40_000);
});

describe('DIAGNOSIS_BACKEND=auto with the claude CLI installed and a key set', () => {
  it('runs the real Claude Code CLI through `rounds diagnose`, with the family alias and the gateway URL', async () => {
    const answer = {
      root_cause: 'PRICES has no entry for SKU-404, so line_total raises KeyError.',
      evidence: [{ description: 'The failing lookup', reference: 'orders/service.py:14' }],
      suggested_fix: 'Reject unknown SKUs before pricing (orders/service.py:14).',
      confidence: 'high',
    };
    const standIn = await startAnthropicStandIn([
      reply(toolCall('StructuredOutput', answer, 'toolu_answer'), { usage: { input: 1200, output: 80 } }),
      reply({ type: 'text', text: 'Done.' }, { usage: { input: 1300, output: 5 } }),
    ]);
    standIns.push(standIn);
    const dir = mkdtempSync(join(tmpdir(), 'rounds-claude-'));
    dirs.push(dir);
    const db = join(dir, 'rounds.db');
    const store = new SqliteSignatureStore({ path: db });
    await store.open();
    const fingerprinter = createFingerprinter(loadConfig({ env: {}, readEnvFile: false }).values);
    const created = await store.ingest(events(3).map((e) => ({ event: e, fingerprint: fingerprinter.fingerprint(e) })));
    await store.close();
    const id = created.created[0]!.id;

    const result = await runCli(['diagnose', id, '--json'], {
      cwd: dir,
      env: {
        STORE_SQLITE_PATH: db,
        ANTHROPIC_API_KEY: 'test-key',
        ANTHROPIC_BASE_URL: standIn.url,
        CODEBASE_PATH: join(SAMPLE, 'code'),
        // The CLI keeps its state under HOME: a throwaway one.
        HOME: dir,
        LOG_FORMAT: 'json',
      },
      timeoutMs: 120_000,
    });
    expect(result.stderr).toContain('diagnosis engine: claude_code');
    expect(result.code).toBe(0);
    const signature = JSON.parse(result.stdout) as Signature;
    expect(signature.diagnosis).toMatchObject({ engine: 'claude_code', confidence: 'high' });
    expect(signature.diagnosis?.citations).toEqual({ checked: 1, unverified: [] });
    expect(signature.diagnosis?.costUsd).toBeGreaterThan(0);
    const first = standIn.requests[0]?.body as { model?: string; system?: unknown; messages?: unknown };
    expect(first.model).toMatch(/opus/);
    expect(JSON.stringify(first.messages)).toContain('unit_price = PRICES');
    expect(JSON.stringify(first.messages)).not.toContain(SECRET);
  }, 150_000);
});
