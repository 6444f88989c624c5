import { describe, expect, it } from 'vitest';
import { Fingerprinter, type FingerprintInput } from './index.js';

const fingerprinter = new Fingerprinter({ includeService: true, inApp: { include: [], exclude: [] } });
const fp = (input: FingerprintInput) => fingerprinter.fingerprint(input);

const pythonTrace = (opts: { prefix?: string; line?: number; fn?: string; value?: string } = {}) =>
  [
    'Traceback (most recent call last):',
    `  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 880, in full_dispatch_request`,
    '    rv = self.dispatch_request()',
    `  File "${opts.prefix ?? '/srv/app'}/shop/views.py", line ${opts.line ?? 31}, in checkout`,
    '    order = build_order(cart)',
    `  File "${opts.prefix ?? '/srv/app'}/shop/orders.py", line ${(opts.line ?? 31) + 40}, in ${opts.fn ?? 'build_order'}`,
    '    price = PRICES[item]',
    `KeyError: '${opts.value ?? 'sku-1'}'`,
  ].join('\n');

const base: FingerprintInput = { service: 'shop', errorType: 'KeyError', message: "'sku-1'", language: 'python' };

describe('Fingerprinter: exceptions', () => {
  it('groups occurrences across line shifts, deploy path prefixes and values', () => {
    const a = fp({ ...base, stackTrace: pythonTrace() });
    const b = fp({
      ...base,
      message: "'sku-99'",
      stackTrace: pythonTrace({ prefix: '/app', line: 35, value: 'sku-99' }),
    });
    expect(a.strategy).toBe('exception-in-app');
    expect(b.hash).toBe(a.hash);
  });

  it('separates the same error raised from different code', () => {
    const a = fp({ ...base, stackTrace: pythonTrace() });
    const b = fp({ ...base, stackTrace: pythonTrace({ fn: 'apply_discount' }) });
    expect(b.hash).not.toBe(a.hash);
  });

  it('separates services by default and joins them when FINGERPRINT_INCLUDE_SERVICE=false', () => {
    const a = fp({ ...base, stackTrace: pythonTrace() });
    const b = fp({ ...base, service: 'admin', stackTrace: pythonTrace() });
    expect(b.hash).not.toBe(a.hash);
    const global = new Fingerprinter({ includeService: false, inApp: { include: [], exclude: [] } });
    expect(global.fingerprint({ ...base, stackTrace: pythonTrace() }).hash).toBe(
      global.fingerprint({ ...base, service: 'admin', stackTrace: pythonTrace() }).hash,
    );
  });

  it('groups on in-app frames only: a library upgrade that changes library frames keeps the group', () => {
    const a = fp({ ...base, stackTrace: pythonTrace() });
    const upgraded = pythonTrace().replace('full_dispatch_request', 'dispatch').replace('python3.12', 'python3.13');
    expect(fp({ ...base, stackTrace: upgraded }).hash).toBe(a.hash);
    const libraryDropped = a.components.find((c) => c.name === 'library-frames');
    expect(libraryDropped?.contributes).toBe(false);
  });

  it('falls back to all frames when none is in-app, then to type + template', () => {
    const libraryOnly = [
      'Traceback (most recent call last):',
      '  File "/usr/local/lib/python3.12/site-packages/celery/app/trace.py", line 453, in trace_task',
      '    R = retval = fun(*args, **kwargs)',
      'ValueError: bad value 7',
    ].join('\n');
    expect(fp({ ...base, errorType: 'ValueError', stackTrace: libraryOnly }).strategy).toBe('exception-all-frames');
    expect(fp({ ...base, stackTrace: 'not a stack trace at all' }).strategy).toBe('message');
    expect(fp({ ...base }).strategy).toBe('message');
  });

  it('lets user patterns override in-app detection', () => {
    const include = new Fingerprinter({
      includeService: true,
      inApp: { include: ['*/site-packages/flask/*'], exclude: [] },
    });
    const withFlask = include.fingerprint({ ...base, stackTrace: pythonTrace() });
    expect(withFlask.frames.find((f) => f.function === 'full_dispatch_request')?.inApp).toBe(true);
    const exclude = new Fingerprinter({ includeService: true, inApp: { include: [], exclude: ['*/shop/orders.py'] } });
    const withoutOrders = exclude.fingerprint({ ...base, stackTrace: pythonTrace() });
    expect(withoutOrders.frames.find((f) => f.function === 'build_order')?.inApp).toBe(false);
    expect(withoutOrders.hash).not.toBe(fp({ ...base, stackTrace: pythonTrace() }).hash);
  });

  it('takes type and message from the trace when the event lacks them', () => {
    const result = fp({ service: 'shop', errorType: '', message: '', stackTrace: pythonTrace(), language: 'python' });
    expect(result.errorType).toBe('KeyError');
    expect(result.messageTemplate).not.toBe('');
  });

  it('detects the runtime when no language hint is given, and survives a wrong hint', () => {
    const hinted = fp({ ...base, stackTrace: pythonTrace() });
    const unhinted = fp({ service: 'shop', errorType: 'KeyError', message: "'sku-1'", stackTrace: pythonTrace() });
    const wrong = fp({ ...base, language: 'java', stackTrace: pythonTrace() });
    expect(unhinted.language).toBe('python');
    expect(wrong.language).toBe('python');
    expect(unhinted.hash).toBe(hinted.hash);
    expect(wrong.hash).toBe(hinted.hash);
  });
});

describe('Fingerprinter: error spans without an exception', () => {
  const span = (status: number, route = '/orders/{id}'): FingerprintInput => ({
    service: 'api',
    errorType: '',
    message: '',
    operation: `GET ${route}`,
    attributes: { 'http.request.method': 'GET', 'http.route': route, 'http.response.status_code': status },
  });

  it('groups by route and status class, from old and new semantic-convention names', () => {
    const a = fp(span(503));
    expect(a.strategy).toBe('semconv');
    expect(fp(span(504)).hash).toBe(a.hash);
    expect(fp(span(404)).hash).not.toBe(a.hash);
    expect(fp(span(503, '/users/{id}')).hash).not.toBe(a.hash);
    const oldNames = fp({
      ...span(503),
      attributes: { 'http.method': 'GET', 'http.route': '/orders/{id}', 'http.status_code': 500 },
    });
    expect(oldNames.hash).toBe(a.hash);
  });

  it('groups database and RPC failures by operation, not by statement values', () => {
    const db = (table: string): FingerprintInput => ({
      service: 'api',
      errorType: '',
      message: 'deadlock detected',
      operation: 'UPDATE shop.orders',
      attributes: { 'db.system': 'postgresql', 'db.operation.name': 'UPDATE', 'db.collection.name': table },
    });
    expect(fp(db('orders')).hash).not.toBe(fp(db('users')).hash);
    const rpc = (method: string): FingerprintInput => ({
      service: 'api',
      errorType: '',
      message: '',
      operation: `shop.Orders/${method}`,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': 'shop.Orders',
        'rpc.method': method,
        'rpc.grpc.status_code': 14,
      },
    });
    expect(fp(rpc('Get')).strategy).toBe('semconv');
    expect(fp(rpc('Get')).hash).not.toBe(fp(rpc('List')).hash);
  });
});

describe('Fingerprinter: determinism and explanation', () => {
  it('gives the same hash for the same input every time and records its config id', () => {
    const a = fp({ ...base, stackTrace: pythonTrace() });
    const b = new Fingerprinter({ includeService: true, inApp: { include: [], exclude: [] } }).fingerprint({
      ...base,
      stackTrace: pythonTrace(),
    });
    expect(b.hash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.configId).toBe('fp:2026-11-29');
    expect(a.stackHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('explains which components counted', () => {
    const result = fp({ ...base, stackTrace: pythonTrace() });
    const names = result.components.filter((c) => c.contributes).map((c) => c.name);
    expect(names).toEqual(['service', 'type', 'message', 'stack']);
    const stack = result.components.find((c) => c.name === 'stack');
    expect(stack?.values.some((v) => v.includes('checkout'))).toBe(true);
    expect(stack?.values.some((v) => v.includes('full_dispatch_request'))).toBe(false);
    expect(stack?.values.join(' ')).not.toMatch(/\b31\b/);
  });

  it('never throws on hostile input', () => {
    const huge = 'x'.repeat(2_000_000);
    expect(() => fp({ service: 's', errorType: huge, message: huge, stackTrace: huge })).not.toThrow();
    expect(() =>
      fp({ service: 's', errorType: 'E', message: '\u0000\uFFFF\uD800', stackTrace: '\n\n\n' }),
    ).not.toThrow();
  });
});
