/** @module Realistic synthetic error events for benchmarks: 30-frame traces in several runtimes' formats. */
import type { ErrorEvent } from '../src/domain/index.js';

const MODULES = ['orders', 'billing', 'users', 'inventory', 'shipping', 'search', 'auth', 'cart'];
const VERBS = ['load', 'save', 'validate', 'charge', 'reserve', 'lookup', 'refresh', 'render'];

function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length] as T;
}

function pythonTrace(site: number, frames: number, message: string): string {
  const lines = ['Traceback (most recent call last):'];
  for (let i = 0; i < frames; i++) {
    const lib = i < 8;
    const file = lib
      ? `/usr/local/lib/python3.12/site-packages/django/core/handlers/base${i}.py`
      : `/srv/app/${pick(MODULES, site + i)}/service.py`;
    lines.push(`  File "${file}", line ${10 + i * 3}, in ${pick(VERBS, site * 7 + i)}_${i}`, `    result = call(${i})`);
  }
  lines.push(`KeyError: ${message}`);
  return lines.join('\n');
}

function javaTrace(site: number, frames: number, message: string): string {
  const lines = [`java.lang.IllegalStateException: ${message}`];
  for (let i = frames - 1; i >= 0; i--) {
    const lib = i < 10;
    const cls = lib
      ? `org.springframework.web.servlet.FrameworkServlet${i}`
      : `com.acme.${pick(MODULES, site + i)}.Service${i}`;
    lines.push(`\tat ${cls}.${pick(VERBS, site * 5 + i)}(${cls.split('.').pop()}.java:${20 + i})`);
  }
  return lines.join('\n');
}

function nodeTrace(site: number, frames: number, message: string): string {
  const lines = [`TypeError: ${message}`];
  for (let i = frames - 1; i >= 0; i--) {
    const lib = i < 10;
    const file = lib
      ? `/app/node_modules/express/lib/router/layer${i}.js`
      : `/app/dist/${pick(MODULES, site + i)}/handler.js`;
    lines.push(`    at ${pick(VERBS, site * 3 + i)}${i} (${file}:${30 + i}:${5 + i})`);
  }
  return lines.join('\n');
}

function goTrace(site: number, frames: number, message: string): string {
  const lines = [`panic: ${message}`, '', 'goroutine 42 [running]:'];
  for (let i = frames - 1; i >= 0; i--) {
    const lib = i < 8;
    const fn = lib
      ? `net/http.(*conn).serve${i}`
      : `github.com/acme/shop/internal/${pick(MODULES, site + i)}.(*Service).${pick(VERBS, site + i)}`;
    lines.push(
      `${fn}(0xc000123456, 0x${(site + i).toString(16)})`,
      `\t/src/${pick(MODULES, i)}/file${i}.go:${40 + i} +0x${(i * 17).toString(16)}`,
    );
  }
  return lines.join('\n');
}

const TRACES = [
  { language: 'python', errorType: 'KeyError', make: pythonTrace },
  { language: 'java', errorType: 'java.lang.IllegalStateException', make: javaTrace },
  { language: 'nodejs', errorType: 'TypeError', make: nodeTrace },
  { language: 'go', errorType: 'runtime.Error', make: goTrace },
] as const;

/**
 * `count` events spread over `sites` distinct crash sites. Each event carries its own values in its message,
 * and its trace prints that message in its exception line, as real occurrences do.
 */
export function syntheticEvents(count: number, sites: number, framesPerTrace = 30): ErrorEvent[] {
  const traces = Array.from({ length: sites }, (_, site) => ({ kind: pick(TRACES, site), site }));
  const start = Date.UTC(2026, 10, 29, 0, 0, 0);
  return Array.from({ length: count }, (_, i) => {
    const site = traces[i % sites];
    if (site === undefined) throw new Error('no sites');
    const message = `order ${100000 + i} failed for user ${i % 977} after ${i % 30}ms`;
    return {
      eventId: `trace-${i.toString(16).padStart(32, '0')}:span-${i}:0`,
      traceId: i.toString(16).padStart(32, '0'),
      spanId: i.toString(16).padStart(16, '0'),
      service: `svc-${(i % sites) % 7}`,
      serviceVersion: `1.${i % 4}.0`,
      environment: 'production',
      operation: 'POST /orders/{id}',
      errorType: site.kind.errorType,
      message,
      stackTrace: site.kind.make(site.site, framesPerTrace, message),
      language: site.kind.language,
      timestamp: start + i * 37,
      attributes: {
        'http.route': '/orders/{id}',
        'http.response.status_code': 500,
        'user.tier': pick(['free', 'pro'], i),
      },
      source: 'otlp',
    };
  });
}
