/**
 * The webhook server in process, over real HTTP: a real SQLite file store, the offline engine (or the OpenAI engine
 * against a local stand-in or a closed port), every lookup path, auth, the error answers and the shutdown.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, createFingerprinter, type RoundsApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import type { ErrorEvent, Signature } from '../../src/domain/index.js';
import {
  type WebhookApp,
  WebhookServer,
  type WebhookServerOptions,
  webhookServerOptions,
} from '../../src/server/index.js';
import { SqliteSignatureStore } from '../../src/store/sqlite/sqlite-signature-store.js';
import { type StandIn, startOpenAiStandIn } from '../helpers/llm-standins/openai.js';
import { hang, httpError } from '../helpers/llm-standins/script.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample-app/', import.meta.url));
const TRACE = readFileSync(join(SAMPLE, 'telemetry/orders-keyerror.txt'), 'utf8');

interface Running {
  app: RoundsApp;
  server: WebhookServer;
  url: string;
  dir: string;
  db: string;
}

const running: Running[] = [];
const dirs: string[] = [];
const standIns: StandIn[] = [];
afterEach(async () => {
  for (const { server, app } of running.splice(0)) await server.shutdown({ graceMs: 2000, stopApp: () => app.stop() });
  for (const standIn of standIns.splice(0)) await standIn.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(
  env: Record<string, string> = {},
  options: Partial<WebhookServerOptions> = {},
  wrap: (app: RoundsApp) => WebhookApp = (app) => app,
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-webhook-'));
  dirs.push(dir);
  const db = join(dir, 'rounds.db');
  const config = loadConfig({
    env: {
      RUN_MODE: 'webhook',
      STORE_SQLITE_PATH: db,
      DIAGNOSIS_BACKEND: 'offline',
      NOTIFICATION_BACKEND: 'markdown',
      NOTIFICATION_OUTPUT_DIR: join(dir, 'reports'),
      CODEBASE_PATH: join(SAMPLE, 'code'),
      ...env,
    },
    readEnvFile: false,
  }).values;
  const logger = pino({ level: 'silent' });
  const app = createApp({ config, logger });
  await app.start();
  const server = new WebhookServer({
    app: wrap(app),
    fingerprinter: createFingerprinter(config),
    logger,
    ...webhookServerOptions(config),
    ...options,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  const handle = { app, server, url: `http://127.0.0.1:${port}`, dir, db };
  running.push(handle);
  return handle;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

function event(overrides: Partial<ErrorEvent> = {}): ErrorEvent {
  return {
    eventId: `e-${Math.random()}`,
    service: 'orders',
    errorType: 'KeyError',
    message: "'SKU-404'",
    stackTrace: TRACE,
    language: 'python',
    timestamp: Date.now(),
    attributes: {},
    source: 'otlp',
    ...overrides,
  };
}

async function ingested(app: RoundsApp, e: ErrorEvent): Promise<string> {
  const summary = await app.pipeline.ingest([e]);
  const id = summary.new[0] ?? summary.updated[0];
  if (id === undefined) throw new Error('event was not counted');
  return id;
}

async function diagnosedOver(url: string, id: string, timeoutMs = 10_000): Promise<Signature> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/signatures/${id}`);
    const signature = (await response.json()) as Signature;
    if (signature.diagnosis !== undefined) return signature;
    if (Date.now() > deadline) throw new Error(`no diagnosis for ${id}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ALERT = {
  service: 'payment-service',
  error_type: 'DatabaseTimeoutError',
  message: 'timeout after 30000 ms talking to db-7',
  timestamp: '2025-02-19T10:30:00Z',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
};

describe('POST /diagnose: lookup paths', () => {
  it('records the error it carries and diagnoses its signature in the background (202, then GET)', async () => {
    const { url } = await start();
    const response = await post(`${url}/diagnose`, { ...ALERT, stack_trace: TRACE, language: 'python' });
    expect(response.status).toBe(202);
    const body = await json(response);
    const id = String(body.signature_id);
    expect(id).toMatch(/^sig_[0-9a-f]{16}$/);
    expect(body).toMatchObject({ status: 'diagnosing', status_url: `/signatures/${id}`, matched_by: 'error' });
    expect(response.headers.get('location')).toBe(`/signatures/${id}`);
    const signature = await diagnosedOver(url, id);
    expect(signature).toMatchObject({ id, status: 'diagnosed', service: 'payment-service', occurrenceCount: 1 });
    expect(signature.diagnosis?.engine).toBe('offline');
  });

  it('counts a retried webhook once (same body twice: one occurrence, same signature)', async () => {
    const { url, app } = await start();
    const first = await json(await post(`${url}/diagnose?wait=true`, ALERT));
    // Keys in another order are the same webhook.
    const reordered = Object.fromEntries(Object.entries(ALERT).reverse());
    const second = await post(`${url}/diagnose?wait=true`, reordered);
    expect(second.status).toBe(200);
    const signature = (await second.json()) as Signature;
    expect(signature.id).toBe(first.id);
    expect(signature.occurrenceCount).toBe(1);
    expect((await app.store.getSignature(signature.id))?.occurrenceCount).toBe(1);
    // A different occurrence (another time) does count.
    await post(`${url}/diagnose`, { ...ALERT, timestamp: '2025-02-19T10:31:00Z' });
    expect((await app.store.getSignature(signature.id))?.occurrenceCount).toBe(2);
  });

  it('takes signature_id first, and answers 404 for an unknown one', async () => {
    const { url, app } = await start();
    const id = await ingested(app, event());
    const response = await post(`${url}/diagnose`, { signature_id: id, message: 'would otherwise be recorded' });
    expect(response.status).toBe(202);
    expect(await json(response)).toMatchObject({ signature_id: id, matched_by: 'signature_id' });
    expect((await app.store.listSignatures()).length).toBe(1);

    const unknown = await post(`${url}/diagnose`, { signature_id: 'sig_0000000000000000' });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({
      error: { code: 'signature_not_found', message: 'no signature with id sig_0000000000000000' },
    });
  });

  it('finds a signature by trace_id among stored samples, preferring the error type the alert names', async () => {
    const { url, app } = await start();
    const traceId = 'aaaabbbbccccdddd1111222233334444';
    const keyError = await ingested(app, event({ traceId, spanId: '1111111111111111', timestamp: Date.now() - 1000 }));
    const timeout = await ingested(
      app,
      event({
        traceId,
        spanId: '2222222222222222',
        errorType: 'TimeoutError',
        message: 'gave up',
        stackTrace: undefined,
      }),
    );
    expect(keyError).not.toBe(timeout);

    const byType = await post(`${url}/diagnose`, { trace_id: traceId, error_type: 'KeyError' });
    expect(byType.status).toBe(202);
    expect(await json(byType)).toMatchObject({ signature_id: keyError, matched_by: 'trace_id' });
    // Without a hint the newest sample of the trace wins; capitals in the id do not matter.
    const newest = await post(`${url}/diagnose`, { trace_id: traceId.toUpperCase() });
    expect(await json(newest)).toMatchObject({ signature_id: timeout, matched_by: 'trace_id' });
  });

  it('falls back to the most recently seen signature with the service and error type', async () => {
    const { url, app } = await start();
    const now = Date.now();
    await ingested(
      app,
      event({
        service: 'payment-service',
        errorType: 'DatabaseTimeoutError',
        message: 'old one',
        stackTrace: undefined,
        timestamp: now - 60_000,
      }),
    );
    const recent = await ingested(
      app,
      event({
        service: 'payment-service',
        errorType: 'DatabaseTimeoutError',
        message: 'pool exhausted',
        stackTrace: undefined,
        timestamp: now - 1000,
      }),
    );
    // Newer, but another error type and another service.
    await ingested(
      app,
      event({
        service: 'payment-service',
        errorType: 'ValueError',
        message: 'x',
        stackTrace: undefined,
        timestamp: now,
      }),
    );
    await ingested(
      app,
      event({
        service: 'billing',
        errorType: 'DatabaseTimeoutError',
        message: 'y',
        stackTrace: undefined,
        timestamp: now,
      }),
    );

    const { message: _, ...alert } = ALERT;
    const response = await post(`${url}/diagnose?wait=true`, alert);
    expect(response.status).toBe(200);
    const signature = (await response.json()) as Signature;
    expect(signature.id).toBe(recent);
    expect(signature.status).toBe('diagnosed');
    expect(signature.diagnosis?.engine).toBe('offline');
  });

  it('answers 404 saying what was searched when nothing matches', async () => {
    const { url } = await start();
    const { message: _, ...alert } = ALERT;
    const response = await post(`${url}/diagnose`, alert);
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('signature_not_found');
    expect(error.message).toContain(`no stored sample in trace ${ALERT.trace_id}`);
    expect(error.message).toContain('no signature of service payment-service with error type DatabaseTimeoutError');
  });
});

describe('POST /diagnose: answers', () => {
  it('with ?wait=true answers 200 with the diagnosed signature', async () => {
    const { url, app } = await start();
    const id = await ingested(app, event());
    const response = await post(`${url}/diagnose?wait=true`, { signature_id: id });
    expect(response.status).toBe(200);
    const signature = (await response.json()) as Signature;
    expect(signature).toMatchObject({ id, status: 'diagnosed' });
    expect(signature.diagnosis?.rootCause).toEqual(expect.any(String));
    expect((await app.store.listDiagnoses(id)).length).toBe(1);
  });

  it('answers 502 with the error when the diagnosis fails', async () => {
    const standIn = await startOpenAiStandIn([httpError(400, { message: 'model says no' })]);
    standIns.push(standIn);
    const { url, app } = await start({ DIAGNOSIS_BACKEND: 'openai', OPENAI_BASE_URL: standIn.url });
    const id = await ingested(app, event());
    const response = await post(`${url}/diagnose?wait=true`, { signature_id: id });
    expect(response.status).toBe(502);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('diagnosis_failed');
    expect(error.message).toContain('model says no');
    expect((await app.store.getSignature(id))?.investigation?.attempts).toBe(1);
  });

  it('answers 409 while another worker holds the claim, and for a muted signature', async () => {
    const { url, app } = await start();
    const id = await ingested(app, event());
    await app.store.claimSignature(id, 'another-instance', Date.now(), 60_000);
    const busy = await post(`${url}/diagnose?wait=true`, { signature_id: id });
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('diagnosis_in_progress');

    const other = await ingested(app, event({ message: 'another', stackTrace: undefined, errorType: 'ValueError' }));
    await app.store.mute(other, { mutedAt: Date.now(), reason: 'noise' });
    const muted = await post(`${url}/diagnose`, { signature_id: other });
    expect(muted.status).toBe(409);
    expect(await json(muted)).toMatchObject({ error: { code: 'refused' } });
  });

  it('applies the daily budget: a spent ledger diagnoses offline, says so, and calls nothing', async () => {
    // A port nothing listens on: any call to the model would fail the diagnosis.
    const closed = await closedPort();
    const { url, app } = await start({
      DIAGNOSIS_BACKEND: 'openai',
      OPENAI_BASE_URL: `http://127.0.0.1:${closed}/v1`,
      DAILY_BUDGET_LIMIT: '1',
    });
    await app.store.recordCost({ engine: 'openai', model: 'gpt-4', costUsd: 1.5, outcome: 'ok', at: Date.now() });
    const id = await ingested(app, event());
    const response = await post(`${url}/diagnose?wait=true`, { signature_id: id });
    expect(response.status).toBe(200);
    const signature = (await response.json()) as Signature;
    expect(signature.diagnosis?.engine).toBe('offline');
    expect(signature.diagnosis?.notes?.join(' ')).toContain('daily budget is spent');
    expect(await app.store.costSince(0)).toBe(1.5);
  });

  it('bounds concurrent diagnoses: 429 with Retry-After beyond the queue', async () => {
    const gate = deferred();
    const { url, app } = await start({}, { concurrency: 1, maxQueued: 1, retryAfterSeconds: 7 }, (inner) => ({
      store: inner.store,
      pipeline: inner.pipeline,
      diagnoseNow: async (id) => {
        await gate.promise;
        return inner.diagnoseNow(id);
      },
    }));
    const ids = [];
    for (const type of ['AError', 'BError', 'CError']) {
      ids.push(await ingested(app, event({ errorType: type, message: type, stackTrace: undefined })));
    }
    expect((await post(`${url}/diagnose`, { signature_id: ids[0] })).status).toBe(202);
    expect((await post(`${url}/diagnose`, { signature_id: ids[1] })).status).toBe(202);
    // A second request about a signature already waiting joins it instead of taking a slot.
    expect((await post(`${url}/diagnose`, { signature_id: ids[1] })).status).toBe(202);
    const refused = await post(`${url}/diagnose`, { signature_id: ids[2] });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(await json(refused)).toMatchObject({ error: { code: 'too_many_diagnoses' } });
    gate.resolve();
    await diagnosedOver(url, ids[0]!);
    await diagnosedOver(url, ids[1]!);
    expect((await post(`${url}/diagnose`, { signature_id: ids[2] })).status).toBe(202);
  });
});

describe('bad requests are JSON errors, never crashes', () => {
  it('400 for malformed JSON, invalid fields and a body with nothing to look up', async () => {
    const { url } = await start();
    const malformed = await post(`${url}/diagnose`, '{"service": ');
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toMatchObject({ error: { code: 'invalid_json' } });

    const invalid = await post(`${url}/diagnose`, { ...ALERT, timestamp: 'yesterday', attributes: 'x' });
    expect(invalid.status).toBe(400);
    const { error } = (await invalid.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('invalid_request');
    expect(error.message).toContain('timestamp: must be an ISO 8601 time');
    expect(error.message).toContain('attributes:');

    const empty = await post(`${url}/diagnose`, { language: 'python' });
    expect(empty.status).toBe(400);
    expect(await json(empty)).toMatchObject({
      error: { message: expect.stringContaining('nothing to look a signature up by') },
    });

    for (const body of ['[]', 'null', '42', '']) {
      const response = await post(`${url}/diagnose`, body);
      expect(response.status, body).toBe(400);
    }
    const noService = await post(`${url}/diagnose`, { message: 'boom' });
    expect(await json(noService)).toMatchObject({
      error: { message: expect.stringContaining('service: is required') },
    });
    expect((await post(`${url}/diagnose?wait=maybe`, ALERT)).status).toBe(400);
    // Still serving.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('413 for a body over 1 MiB, 415 for another content type, 404 and 405 for routes', async () => {
    const { url } = await start();
    const big = await post(`${url}/diagnose`, { ...ALERT, message: 'x'.repeat(1024 * 1024) });
    expect(big.status).toBe(413);
    expect(await json(big)).toMatchObject({ error: { code: 'payload_too_large' } });

    const text = await fetch(`${url}/diagnose`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    expect(await json(text)).toEqual({
      error: { code: 'unsupported_media_type', message: 'Content-Type must be application/json' },
    });
    const charset = await post(`${url}/diagnose`, ALERT, { 'content-type': 'application/json; charset=utf-8' });
    expect(charset.status).toBe(202);

    const unknown = await fetch(`${url}/nope`);
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ error: { code: 'not_found' } });
    const wrongMethod = await fetch(`${url}/diagnose`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const missing = await fetch(`${url}/signatures/sig_0000000000000000`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ error: { code: 'signature_not_found' } });
  });

  it('413 for a chunked body over the limit that announces no length', async () => {
    const { url } = await start({}, { maxBodyBytes: 1024 });
    const chunks = [Buffer.from('{"message":"'), Buffer.alloc(4096, 0x78), Buffer.from('","service":"a"}')];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    const response = await fetch(`${url}/diagnose`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });
});

describe('auth and health', () => {
  it('WEBHOOK_REQUIRE_AUTH=true: 401 without or with a wrong X-API-Key, through with the right one', async () => {
    const { url, app } = await start({ WEBHOOK_REQUIRE_AUTH: 'true', WEBHOOK_API_KEY: 'k-123' });
    const id = await ingested(app, event());
    const none = await post(`${url}/diagnose`, { signature_id: id });
    expect(none.status).toBe(401);
    expect(await json(none)).toEqual({ error: { code: 'unauthorized', message: 'missing X-API-Key header' } });
    const wrong = await post(`${url}/diagnose`, { signature_id: id }, { 'x-api-key': 'k-124' });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${url}/signatures/${id}`)).status).toBe(401);
    expect((await post(`${url}/diagnose`, { signature_id: id }, { 'x-api-key': 'k-123' })).status).toBe(202);
    expect((await fetch(`${url}/signatures/${id}`, { headers: { 'x-api-key': 'k-123' } })).status).toBe(200);
    // Probes need no key.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('a key configured but not required: no key passes, a wrong key is refused', async () => {
    const { url, app } = await start({ WEBHOOK_API_KEY: 'k-123' });
    const id = await ingested(app, event());
    expect((await post(`${url}/diagnose`, { signature_id: id })).status).toBe(202);
    expect((await post(`${url}/diagnose`, { signature_id: id }, { 'x-api-key': 'guess' })).status).toBe(401);
  });

  it('no key configured: any header is ignored', async () => {
    const { url, app } = await start();
    const id = await ingested(app, event());
    expect((await post(`${url}/diagnose`, { signature_id: id }, { 'x-api-key': 'whatever' })).status).toBe(202);
  });

  it('GET /healthz is 200 while the store answers and 503 when it does not', async () => {
    const { url, app } = await start();
    const ok = await fetch(`${url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok' });
    await app.store.close();
    const down = await fetch(`${url}/healthz`);
    expect(down.status).toBe(503);
    expect(await json(down)).toMatchObject({ status: 'unavailable', error: { code: 'store_unavailable' } });
  });
});

describe('shutdown', () => {
  it('waits for a running diagnosis up to the bound, then aborts it and the claim is released', async () => {
    const standIn = await startOpenAiStandIn([hang()]);
    standIns.push(standIn);
    const handle = await start({ DIAGNOSIS_BACKEND: 'openai', OPENAI_BASE_URL: standIn.url });
    const id = await ingested(handle.app, event());
    const waiting = post(`${handle.url}/diagnose?wait=true`, { signature_id: id });
    const deadline = Date.now() + 10_000;
    while (standIn.requests.length === 0 && Date.now() < deadline) await sleep(20);
    expect(standIn.requests.length).toBe(1);

    running.splice(running.indexOf(handle), 1);
    const started = Date.now();
    await handle.server.shutdown({ graceMs: 300, stopApp: () => handle.app.stop() });
    expect(Date.now() - started).toBeLessThan(5000);
    // The caller waiting on it is told, not dropped.
    const answer = await waiting;
    expect(answer.status).toBe(503);
    expect(await json(answer)).toMatchObject({ error: { code: 'shutting_down' } });

    const store = new SqliteSignatureStore({ path: handle.db });
    await store.open();
    try {
      const signature = await store.getSignature(id);
      expect(signature?.status).toBe('new');
      // Released, not counted as a failed attempt: the shutdown was not the diagnosis's fault.
      expect(signature?.investigation).toBeUndefined();
      // Free for the next worker at once.
      expect(await store.claimSignature(id, 'next', Date.now(), 60_000)).toBeDefined();
    } finally {
      await store.close();
    }
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function closedPort(): Promise<number> {
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
