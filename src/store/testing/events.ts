/** @module Test builders: realistic fingerprinted events for store tests and benchmarks. */
import { createHash } from 'node:crypto';
import type { Diagnosis, ErrorEvent, Fingerprint, StackFrame } from '../../domain/index.js';
import { signatureIdFor } from '../../domain/index.js';
import type { FingerprintedEvent } from '../../ports/index.js';

/** A stable 64-hex fingerprint hash for a readable label, so tests can name their signatures. */
export function hashOf(label: string): string {
  return createHash('sha256').update(label).digest('hex');
}

/** The signature id a store must derive for the events built with `signature: label`. */
export function idOf(label: string): string {
  return signatureIdFor(hashOf(label));
}

export const HOUR = 3_600_000;

/** Epoch ms of a fixed UTC instant, well clear of hour boundaries unless a test asks for one. */
export const T0 = Date.UTC(2026, 10, 29, 10, 15, 0);

export function pythonFrames(depth: number, seed = 'orders'): StackFrame[] {
  const frames: StackFrame[] = [];
  for (let i = 0; i < depth; i++) {
    const inApp = i % 3 !== 0;
    frames.push({
      module: inApp ? `app.${seed}.layer${i}` : `sqlalchemy.engine.base${i}`,
      function: inApp ? `handle_${seed}_${i}` : `_execute_context_${i}`,
      file: inApp ? `/srv/app/${seed}/layer${i}.py` : `/usr/lib/python3.12/site-packages/sqlalchemy/engine/base${i}.py`,
      line: 40 + i * 7,
      inApp,
    });
  }
  return frames;
}

export function pythonTrace(frames: readonly StackFrame[], errorType: string, message: string): string {
  const lines = ['Traceback (most recent call last):'];
  for (const f of frames) {
    lines.push(`  File "${f.file}", line ${f.line}, in ${f.function}`);
    lines.push(`    result = ${f.function}(session, request.payload, retries=3)`);
  }
  lines.push(`${errorType}: ${message}`);
  return lines.join('\n');
}

export interface EventSpec extends Partial<ErrorEvent> {
  /** Label of the signature the event belongs to; its fingerprint hash is `hashOf(signature)`. */
  signature?: string;
  /** Stack depth of the generated trace and frames. */
  depth?: number;
}

let nextId = 0;

/** One fingerprinted event; every field has a realistic default and any can be overridden. */
export function fingerprinted(spec: EventSpec = {}): FingerprintedEvent {
  const { signature = 'orders-timeout', depth = 8, ...overrides } = spec;
  nextId++;
  const errorType = overrides.errorType ?? 'sqlalchemy.exc.OperationalError';
  const message = overrides.message ?? `connection to 10.0.3.${nextId % 250} timed out after 30000 ms`;
  const frames = pythonFrames(depth, signature.replace(/[^a-z0-9]/gi, '_'));
  const event: ErrorEvent = {
    eventId: `evt-${process.pid}-${nextId}`,
    traceId: (nextId * 7919).toString(16).padStart(32, '0'),
    spanId: (nextId * 104729).toString(16).padStart(16, '0'),
    service: 'checkout',
    serviceVersion: '1.4.2',
    environment: 'production',
    operation: 'POST /orders',
    errorType,
    message,
    stackTrace: pythonTrace(frames, errorType, message),
    language: 'python',
    timestamp: T0,
    attributes: { 'http.route': '/orders', 'http.status_code': 500, 'db.system': 'postgresql', retried: false },
    source: 'otlp',
    ...overrides,
  };
  return { event, fingerprint: fingerprintFor(signature, frames, errorType) };
}

export function fingerprintFor(
  signature: string,
  frames: StackFrame[] = pythonFrames(8),
  errorType = 'Error',
): Fingerprint {
  const inApp = frames.filter((f) => f.inApp).map((f) => `${f.module}.${f.function}`);
  return {
    hash: hashOf(signature),
    stackHash: hashOf(`${signature}:stack`).slice(0, 16),
    configId: 'fp:test',
    strategy: 'exception-in-app',
    errorType,
    messageTemplate: 'connection to <ip> timed out after <n> ms',
    language: 'python',
    frames,
    components: [
      { name: 'type', contributes: true, values: [errorType] },
      { name: 'stack', contributes: true, values: inApp },
      { name: 'message', contributes: false, values: [], hint: 'frames were specific enough' },
    ],
  };
}

/** `n` events of one signature, one second apart from `start`. */
export function series(n: number, spec: EventSpec & { start?: number } = {}): FingerprintedEvent[] {
  const { start = T0, ...rest } = spec;
  return Array.from({ length: n }, (_, i) => fingerprinted({ ...rest, timestamp: start + i * 1000 }));
}

export function diagnosis(overrides: Partial<Diagnosis> = {}): Diagnosis {
  return {
    rootCause: 'The orders pool is exhausted by a leaked session in the retry loop.',
    evidence: [{ description: 'Every sample times out acquiring a connection', reference: 'app/orders/layer2.py:54' }],
    suggestedFix: 'Close the session in a finally block in handle_orders_2.',
    confidence: 'medium',
    model: 'test-model',
    engine: 'offline',
    costUsd: 0,
    diagnosedAt: T0 + 60_000,
    ...overrides,
  };
}
