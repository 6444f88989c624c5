/**
 * @module Trace snapshots end to end: a real `rounds daemon` receives an error span and, in a later export, the
 * rest of its trace from the real OTLP/HTTP protobuf exporter, and stores the assembled trace with the sample.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { TraceSpan } from '../../src/domain/index.js';
import { SqliteSignatureStore } from '../../src/store/sqlite/sqlite-signature-store.js';
import { startCli, waitForExit } from '../helpers/cli.js';
import { recordSpans } from '../helpers/otlp-payloads.js';

interface Daemon {
  child: ChildProcess;
  dir: string;
  db: string;
  httpPort: number;
  stderr(): string;
}

const running: Daemon[] = [];
afterEach(async () => {
  for (const daemon of running.splice(0)) {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGKILL');
      await waitForExit(daemon.child).catch(() => undefined);
    }
    rmSync(daemon.dir, { recursive: true, force: true });
  }
});

async function startDaemon(settleMs: number): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-snapshots-'));
  const db = join(dir, 's.db');
  const { child, output } = await startCli(['daemon'], {
    cwd: dir,
    env: {
      OTLP_GRPC_PORT: '0',
      OTLP_HTTP_PORT: '0',
      LOG_FORMAT: 'json',
      STORE_SQLITE_PATH: db,
      OTLP_TRACE_SNAPSHOT_SETTLE_MS: String(settleMs),
    },
    ready: /rounds daemon running/,
  }).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const stderr = () => output().stderr;
  const httpPort = Number(/otlp http listening on 127\.0\.0\.1:(\d+)/.exec(stderr())?.[1] ?? Number.NaN);
  const daemon = { child, dir, db, httpPort, stderr };
  running.push(daemon);
  expect(httpPort).toBeGreaterThan(0);
  return daemon;
}

async function stopDaemon(daemon: Daemon): Promise<void> {
  daemon.child.kill('SIGTERM');
  expect(await waitForExit(daemon.child, 20_000)).toBe(0);
}

class PaymentDeclinedError extends Error {
  override name = 'PaymentDeclinedError';
}

/** A checkout request whose charge step failed: the root server span, a sibling step, and the failing step. */
function checkoutTrace(): { failing: ReadableSpan; root: ReadableSpan; sibling: ReadableSpan } {
  const start = Date.now() - 1000;
  const spans = recordSpans(
    { 'service.name': 'checkout', 'service.version': '2.0.1', 'telemetry.sdk.language': 'nodejs' },
    (tracerFor) => {
      const tracer = tracerFor('rounds-snapshot-test', '1.0.0');
      const root = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER, startTime: start });
      const parent = trace.setSpan(context.active(), root);
      tracer.startSpan('SELECT cart', { kind: SpanKind.CLIENT, startTime: start + 5 }, parent).end(start + 15);
      const failing = tracer.startSpan('charge card', { startTime: start + 20 }, parent);
      const error = new PaymentDeclinedError('card 4242 declined');
      failing.recordException(error);
      failing.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      failing.end(start + 40);
      root.end(start + 50);
    },
  );
  const byName = (name: string) => spans.find((span) => span.name === name)!;
  return { failing: byName('charge card'), root: byName('POST /checkout'), sibling: byName('SELECT cart') };
}

/** One export call of the real OTLP/HTTP protobuf exporter: one request to the daemon. */
async function exportSpans(port: number, spans: ReadableSpan[]): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
  try {
    const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    expect({ code: result.code, error: result.error?.message }).toEqual({
      code: ExportResultCode.SUCCESS,
      error: undefined,
    });
  } finally {
    await exporter.shutdown();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The whole trace came back, with the failing step and its sibling under the root. */
function expectWholeTrace(spans: TraceSpan[] | undefined, sent: ReturnType<typeof checkoutTrace>): void {
  expect(spans?.map((span) => span.name)).toEqual(['POST /checkout', 'SELECT cart', 'charge card']);
  const [root, sibling, failing] = spans!;
  const rootId = sent.root.spanContext().spanId;
  expect(root).toMatchObject({ spanId: rootId, service: 'checkout', kind: 2 });
  expect(root!.parentSpanId).toBeUndefined();
  expect(sibling).toMatchObject({ spanId: sent.sibling.spanContext().spanId, parentSpanId: rootId, kind: 3 });
  expect(failing).toMatchObject({
    spanId: sent.failing.spanContext().spanId,
    parentSpanId: rootId,
    statusCode: 2,
    statusMessage: 'card 4242 declined',
  });
}

describe.sequential('trace snapshots in the daemon', () => {
  it('stores the trace of an error, including spans exported after it, with the sample', async () => {
    const daemon = await startDaemon(300);
    const sent = checkoutTrace();
    const traceId = sent.failing.spanContext().traceId;
    await exportSpans(daemon.httpPort, [sent.failing]);
    await sleep(50);
    // The parent and the sibling end later in a real service, so they come in a later export.
    await exportSpans(daemon.httpPort, [sent.sibling, sent.root]);
    await sleep(1000);
    const stoppedAt = Date.now();
    await stopDaemon(daemon);

    const db = new BetterSqlite3(daemon.db, { readonly: true });
    try {
      const sample = db.prepare('SELECT count(*) FROM sample_events WHERE trace_id = ?').pluck().get(traceId);
      expect(sample).toBe(1);
      const row = db.prepare('SELECT span_count, captured_at FROM trace_snapshots WHERE trace_id = ?').get(traceId) as
        | { span_count: number; captured_at: number }
        | undefined;
      expect(row?.span_count).toBe(3);
      // Taken by the settle timer while running, not by the flush on stop.
      expect(row?.captured_at).toBeLessThan(stoppedAt);
      expect(db.prepare('SELECT count(*) FROM trace_snapshots').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
    const store = new SqliteSignatureStore({ path: daemon.db });
    await store.open();
    try {
      expectWholeTrace((await store.getTraceSnapshot(traceId))?.spans, sent);
    } finally {
      await store.close();
    }
  });

  it('on SIGTERM, captures the traces still settling before it exits', async () => {
    const daemon = await startDaemon(60_000);
    const sent = checkoutTrace();
    const traceId = sent.failing.spanContext().traceId;
    await exportSpans(daemon.httpPort, [sent.failing]);
    await exportSpans(daemon.httpPort, [sent.sibling, sent.root]);
    await stopDaemon(daemon);

    const store = new SqliteSignatureStore({ path: daemon.db });
    await store.open();
    try {
      expectWholeTrace((await store.getTraceSnapshot(traceId))?.spans, sent);
    } finally {
      await store.close();
    }
  });
});
