/** @module Test helpers for evidence assembly: temp codebases, a fault-injecting reader, domain builders. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorEvent, Signature, TraceSpan } from '../../../domain/index.js';
import type { CodebaseReader } from '../codebase-reader.js';
import type { SignatureForEvidence } from '../evidence-bundle.js';
import { nodeCodebaseReader } from '../node-codebase-reader.js';

export const SAMPLE_APP = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/sample-app');
export const SAMPLE_APP_CODE = join(SAMPLE_APP, 'code');

/** A temp directory with `files` (relative path → content, or `{ link }` for a symlink). Remove with cleanup(). */
export function tempTree(files: Record<string, string | { link: string }>): { root: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'rounds-ctx-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof content === 'string') writeFileSync(full, content);
    else symlinkSync(content.link, full);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** The node reader, except that the named operations reject for paths ending with one of `failing`. */
export function faultyReader(failing: { list?: string[]; read?: string[]; stat?: string[] }): CodebaseReader {
  const real = nodeCodebaseReader();
  const fails = (list: string[] | undefined, path: string): boolean => (list ?? []).some((end) => path.endsWith(end));
  const denied = (path: string): Error => Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
  return {
    realPath: real.realPath,
    listDirectory: (path) => (fails(failing.list, path) ? Promise.reject(denied(path)) : real.listDirectory(path)),
    stat: (path) => (fails(failing.stat, path) ? Promise.reject(denied(path)) : real.stat(path)),
    readText: (path) => (fails(failing.read, path) ? Promise.reject(denied(path)) : real.readText(path)),
  };
}

export function signatureFor(overrides: Partial<Signature> = {}): SignatureForEvidence & Signature {
  return {
    id: 'sig_0123456789abcdef',
    fingerprint: 'f'.repeat(64),
    configId: 'fp:2026-11-29',
    strategy: 'exception-in-app',
    errorType: 'KeyError',
    service: 'orders',
    services: ['orders'],
    messageTemplate: "'<str>'",
    language: 'python',
    frames: [],
    firstSeen: Date.UTC(2026, 10, 1),
    lastSeen: Date.UTC(2026, 10, 2),
    occurrenceCount: 12,
    status: 'new',
    tags: [],
    versions: ['1.4.2'],
    firstVersion: '1.4.2',
    environments: ['production'],
    ...overrides,
  };
}

export function eventFor(overrides: Partial<ErrorEvent> = {}): ErrorEvent {
  return {
    eventId: 'ev-1',
    traceId: 'trace-1',
    spanId: 'span-err',
    service: 'orders',
    serviceVersion: '1.4.2',
    environment: 'production',
    operation: 'POST /orders',
    errorType: 'KeyError',
    message: "'SKU-404'",
    language: 'python',
    timestamp: Date.UTC(2026, 10, 2, 12),
    attributes: {},
    source: 'otlp',
    ...overrides,
  };
}

export function spanFor(overrides: Partial<TraceSpan> & Pick<TraceSpan, 'spanId'>): TraceSpan {
  return {
    traceId: 'trace-1',
    name: overrides.spanId,
    service: 'orders',
    kind: 1,
    startTimeUnixMs: 1000,
    endTimeUnixMs: 1010,
    statusCode: 0,
    attributes: {},
    ...overrides,
  };
}
