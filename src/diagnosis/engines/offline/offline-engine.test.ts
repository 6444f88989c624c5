/** @module Tests for the offline engine: realistic signatures from each runtime, determinism and robustness. */
import { describe, expect, it } from 'vitest';
import type { ErrorEvent, Signature, StackFrame } from '../../../domain/index.js';
import { signatureIdFor } from '../../../domain/index.js';
import { fingerprinted, HOUR, hashOf, pythonFrames, T0 } from '../../../store/testing/events.js';
import { OFFLINE_MODEL, OfflineDiagnosisEngine } from './offline-engine.js';

const NOW = T0 + 2 * HOUR;
const engine = new OfflineDiagnosisEngine({ now: () => NOW });

function signature(overrides: Partial<Signature> = {}): Signature {
  const hash = hashOf(overrides.fingerprint ?? 'sig');
  return {
    id: signatureIdFor(hash),
    fingerprint: hash,
    configId: 'fp:test',
    strategy: 'exception-in-app',
    errorType: 'Error',
    service: 'checkout',
    services: ['checkout'],
    messageTemplate: '',
    language: 'python',
    frames: [],
    firstSeen: T0,
    lastSeen: T0 + HOUR,
    occurrenceCount: 12,
    status: 'new',
    tags: [],
    versions: [],
    environments: ['production'],
    ...overrides,
  };
}

function samples(n: number, overrides: Partial<ErrorEvent> = {}): ErrorEvent[] {
  return Array.from(
    { length: n },
    (_, i) => fingerprinted({ signature: 'sig', timestamp: T0 + i * 60_000, ...overrides }).event,
  );
}

const refs = (d: { evidence: { reference?: string }[] }) => d.evidence.map((e) => e.reference ?? '');

describe('OfflineDiagnosisEngine', () => {
  it('diagnoses a Python KeyError at the innermost in-app frame', async () => {
    const frames = pythonFrames(8, 'orders');
    const sig = signature({
      errorType: 'KeyError',
      messageTemplate: "'customer_id'",
      frames,
      versions: ['1.4.1', '1.4.2'],
      firstVersion: '1.4.2',
    });
    const events = samples(3, { errorType: 'KeyError', message: "'customer_id'" });
    const d = await engine.diagnose({ signature: sig, samples: events });

    // pythonFrames(8): index 7 is the innermost in-app frame, 5 and 4 its in-app callers.
    expect(d.rootCause).toContain('KeyError');
    expect(d.rootCause).toContain('app.orders.layer7.handle_orders_7 (/srv/app/orders/layer7.py:89)');
    expect(d.rootCause).toContain('started with version 1.4.2');
    expect(d.rootCause).toContain('http.route=/orders');
    expect(refs(d)).toContain('/srv/app/orders/layer7.py:89');
    expect(refs(d)).toContain('/srv/app/orders/layer5.py:75');
    expect(refs(d)).toContain('1.4.2');
    for (const e of events) expect(refs(d).some((r) => r.includes(`trace:${e.traceId}`))).toBe(true);
    expect(d.evidence.some((e) => e.description.includes('1.4.1 and 1.4.2'))).toBe(true);
    expect(d.suggestedFix).toMatch(/lookup/);
    expect(d.suggestedFix).toContain('/srv/app/orders/layer7.py:89');
    expect(d.suggestedFix).toContain('1.4.2');
    expect(d).toMatchObject({
      confidence: 'low',
      engine: 'offline',
      model: OFFLINE_MODEL,
      costUsd: 0,
      diagnosedAt: NOW,
    });
  });

  it('diagnoses a Node TypeError on undefined as a null-access', async () => {
    const frames: StackFrame[] = [
      { function: 'processTicksAndRejections', file: 'node:internal/process/task_queues', line: 95, inApp: false },
      { module: 'CartController', function: 'checkout', file: '/app/src/cart/controller.ts', line: 42, inApp: true },
      { module: 'PriceService', function: 'total', file: '/app/src/cart/price.ts', line: 17, inApp: true },
      { function: 'reduce', file: '/app/node_modules/lodash/lodash.js', line: 7000, inApp: false },
    ];
    const sig = signature({
      language: 'node',
      errorType: 'TypeError',
      messageTemplate: "Cannot read properties of undefined (reading 'price')",
      frames,
      versions: ['2.0.0'],
      firstVersion: '2.0.0',
    });
    const d = await engine.diagnose({ signature: sig, samples: samples(2, { language: 'node' }) });
    expect(d.rootCause).toContain('PriceService.total (/app/src/cart/price.ts:17)');
    expect(d.rootCause).toContain('only seen in version 2.0.0');
    expect(d.suggestedFix).toMatch(/value is missing/);
    expect(d.suggestedFix).toContain('/app/src/cart/price.ts:17');
    expect(refs(d)).toContain('/app/src/cart/controller.ts:42');
  });

  it('diagnoses a Go nil pointer panic', async () => {
    const frames: StackFrame[] = [
      {
        module: 'net/http',
        function: 'HandlerFunc.ServeHTTP',
        file: '/usr/local/go/src/net/http/server.go',
        line: 2136,
        inApp: false,
      },
      {
        module: 'github.com/acme/billing/api',
        function: 'ChargeHandler',
        file: '/src/api/charge.go',
        line: 58,
        inApp: true,
      },
      {
        module: 'github.com/acme/billing/ledger',
        function: '(*Ledger).Post',
        file: '/src/ledger/post.go',
        line: 121,
        inApp: true,
      },
    ];
    const sig = signature({
      language: 'go',
      errorType: 'panic',
      messageTemplate: 'runtime error: invalid memory address or nil pointer dereference',
      frames,
    });
    const d = await engine.diagnose({ signature: sig, samples: samples(1) });
    expect(d.rootCause).toContain('github.com/acme/billing/ledger.(*Ledger).Post (/src/ledger/post.go:121)');
    expect(d.suggestedFix).toMatch(/value is missing/);
    expect(d.suggestedFix).toContain('/src/ledger/post.go:121');
  });

  it('falls back to the operation for a semconv HTTP 503 span with no frames', async () => {
    const sig = signature({
      strategy: 'semconv',
      language: 'unknown',
      errorType: 'HTTP 503',
      messageTemplate: 'Service Unavailable',
      versions: ['3.1.0'],
      firstVersion: '3.1.0',
    });
    const events = samples(4, {
      operation: 'GET /inventory/{sku}',
      stackTrace: undefined,
      attributes: { 'http.route': '/inventory/{sku}', 'http.response.status_code': 503, 'server.address': 'stock' },
    });
    const d = await engine.diagnose({ signature: sig, samples: events });
    expect(d.rootCause).toContain('"GET /inventory/{sku}"');
    expect(d.rootCause).toContain('semantic-convention');
    expect(d.rootCause).toContain('server.address=stock');
    expect(d.suggestedFix).toMatch(/dependency answering 5xx/);
    expect(d.suggestedFix).toContain('GET /inventory/{sku}');
    for (const e of events) expect(refs(d)).toContain(`trace:${e.traceId} span:${e.spanId}`);
  });

  it('still says something useful with no frames and no attributes', async () => {
    const sig = signature({ strategy: 'message', errorType: '', messageTemplate: 'worker exited unexpectedly' });
    const events = samples(2, { attributes: {}, operation: undefined, traceId: undefined });
    const d = await engine.diagnose({ signature: sig, samples: events });
    expect(d.rootCause).toContain('worker exited unexpectedly');
    expect(d.suggestedFix).toMatch(/^Inspect /);
    for (const e of events) expect(refs(d)).toContain(`span:${e.spanId}`);
  });

  it('is deterministic and independent of sample order', async () => {
    const sig = signature({ errorType: 'KeyError', messageTemplate: "'sku'", frames: pythonFrames(6) });
    const events = samples(4);
    const a = await engine.diagnose({ signature: sig, samples: events });
    const b = await engine.diagnose({ signature: structuredClone(sig), samples: [...events].reverse() });
    expect(b).toEqual(a);
  });

  it('never throws on empty samples, empty frames or corrupt timestamps', async () => {
    const sig = signature({
      errorType: '',
      messageTemplate: '',
      services: [],
      environments: [],
      firstSeen: Number.NaN,
    });
    const d = await engine.diagnose({ signature: sig, samples: [] });
    expect(d.rootCause.length).toBeGreaterThan(0);
    expect(d.suggestedFix.length).toBeGreaterThan(0);
    expect(d.evidence.length).toBeGreaterThan(0);
    expect(new OfflineDiagnosisEngine().name).toBe('offline');
  });
});
