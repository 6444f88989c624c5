import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TraceSpan } from '../domain/index.js';
import { SqliteSignatureStore } from '../store/sqlite/sqlite-signature-store.js';
import { fingerprinted, idOf, T0 } from '../store/testing/events.js';
import { baselineOf, DiagnosisPromptBuilder } from './prompt-builder.js';

const CODEBASE = fileURLToPath(new URL('../../test/fixtures/sample-app/code', import.meta.url));
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const logger = pino({ level: 'silent' });

function span(spanId: string, overrides: Partial<TraceSpan> = {}): TraceSpan {
  return {
    traceId: TRACE,
    spanId,
    name: 'POST /orders',
    service: 'orders',
    kind: 2,
    startTimeUnixMs: T0,
    endTimeUnixMs: T0 + 20,
    statusCode: 0,
    attributes: { 'service.version': '3.0.0', 'http.route': '/orders' },
    ...overrides,
  };
}

describe('DiagnosisPromptBuilder', () => {
  let store: SqliteSignatureStore;
  beforeEach(async () => {
    store = new SqliteSignatureStore({ path: ':memory:' });
    await store.open();
  });
  afterEach(() => store.close());

  it('adds the other errors of the same traces, redacted, and reads the codebase', async () => {
    const mine = fingerprinted({ signature: 'mine', traceId: TRACE, spanId: 'a1a1a1a1a1a1a1a1', timestamp: T0 });
    const other = fingerprinted({
      signature: 'other',
      traceId: TRACE,
      spanId: 'b2b2b2b2b2b2b2b2',
      timestamp: T0 + 5,
      errorType: 'psycopg.OperationalError',
      message: 'connection refused for postgres://app:hunter2@db:5432/orders',
    });
    await store.ingest([mine, other]);
    const signature = (await store.getSignature(idOf('mine')))!;
    const builder = new DiagnosisPromptBuilder({
      store,
      codebasePath: CODEBASE,
      maxContextTokens: 50_000,
      redact: (text) => text.replace(/hunter2/g, '[REDACTED:url_password]'),
      logger,
    });
    const prompt = await builder.build({ signature, samples: [mine.event] });
    expect(prompt.user).toContain('psycopg.OperationalError');
    expect(prompt.user).toContain('[REDACTED:url_password]');
    expect(prompt.user).not.toContain('hunter2');
    expect(await builder.codebaseAccess()).toBeDefined();
  });

  it('works without a readable codebase, and says so', async () => {
    await store.ingest([fingerprinted({ signature: 'x' })]);
    const signature = (await store.getSignature(idOf('x')))!;
    const builder = new DiagnosisPromptBuilder({
      store,
      codebasePath: '/nonexistent/rounds-codebase',
      maxContextTokens: 50_000,
      redact: (t) => t,
      logger,
    });
    const prompt = await builder.build({ signature, samples: [] });
    expect(await builder.codebaseAccess()).toBeUndefined();
    expect(prompt.user).toContain('could not be read');
  });
});

describe('baselineOf', () => {
  it('keeps the same operation’s spans that did not fail, never the error spans', () => {
    const sample = fingerprinted({ traceId: TRACE, spanId: 'e0e0e0e0e0e0e0e0', operation: 'POST /orders' }).event;
    const baseline = baselineOf(
      [
        {
          traceId: TRACE,
          capturedAt: T0,
          spans: [
            span('e0e0e0e0e0e0e0e0', { statusCode: 2 }),
            span('0101010101010101'),
            span('0202020202020202', { statusCode: 2 }),
            span('0303030303030303', { name: 'GET /health' }),
          ],
        },
      ],
      [sample],
    );
    expect(baseline).toEqual([{ 'service.version': '3.0.0', 'http.route': '/orders', 'service.name': 'orders' }]);
  });
});
