/** @module Tests for Go panic / goroutine-dump parsing, grouping keys and detection against the fixture corpus. */
import { describe, expect, it } from 'vitest';
import {
  corpus,
  fixtureText,
  groupingKeys,
  otherCorpora,
  parseOrThrow,
} from '../../../test/helpers/stacktrace-corpus.js';
import { go } from './go.js';
import type { ParsedException, ParsedTrace } from './types.js';

const fixture = (name: string): string => fixtureText('go', name);
const parsed = (text: string): ParsedTrace => parseOrThrow(go, text);
const top = (name: string): ParsedException => parsed(fixture(name)).exceptions[0]!;
const keys = (e: ParsedException): string[] => groupingKeys(go, e.frames);

describe('go.parse', () => {
  it('parses every fixture with at least one frame', () => {
    const files = corpus('go');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const { name, text } of files) {
      const p = go.parse(text);
      expect(p, name).toBeDefined();
      expect(p?.language).toBe('go');
      expect(p?.exceptions[0]?.frames.length, name).toBeGreaterThan(0);
    }
  });

  it('reads a nil pointer panic: runtime.Error, receiver methods, closures, innermost last', () => {
    const p = parsed(fixture('nil-pointer-main.txt'));
    expect(p.exceptions).toHaveLength(1);
    const e = p.exceptions[0]!;
    expect(e.type).toBe('runtime.Error');
    expect(e.message).toBe('runtime error: invalid memory address or nil pointer dereference');
    expect(e.frames.map((f) => f.function)).toEqual([
      'main',
      '(*Server).Run',
      '(*Server).Run.func1',
      '(*Server).handle',
    ]);
    expect(e.frames.at(-1)).toEqual({
      module: 'main',
      function: '(*Server).handle',
      file: '/home/u/app/server.go',
      line: 42,
      inApp: true,
    });
    expect(keys(e)).toEqual(['main.main', 'main.(*Server).Run', 'main.(*Server).Run.func', 'main.(*Server).handle']);
  });

  it('reads net/http "panic serving" logs with stdlib, module-cache and created-by frames', () => {
    const e = top('http-panic-serving.txt');
    expect(e.type).toBe('runtime.Error');
    expect(e.message).toBe('runtime error: index out of range [5] with length 3');
    expect(e.frames).toHaveLength(8);
    expect(e.frames[0]).toMatchObject({
      module: 'net/http',
      function: '(*Server).Serve',
      file: '/usr/local/go/src/net/http/server.go',
      line: 3086,
      inApp: false,
    });
    expect(e.frames.at(-2)).toEqual({
      function: 'panic',
      file: '/usr/local/go/src/runtime/panic.go',
      line: 920,
      inApp: false,
    });
    const inApp = e.frames.filter((f) => f.inApp);
    expect(inApp).toEqual([
      {
        module: 'github.com/acme/shop/internal/api',
        function: '(*Handler).GetItem',
        file: '/build/shop/internal/api/items.go',
        line: 57,
        inApp: true,
      },
    ]);
    expect(e.frames.find((f) => f.module === 'github.com/go-chi/chi/v5')?.inApp).toBe(false);
  });

  it('reads a gRPC handler panic with nested closures and a module-cache server', () => {
    const e = top('grpc-handler-panic.txt');
    expect(e.type).toBe('panic');
    expect(e.message).toBe('order 5521 has no line items');
    expect(e.frames.at(-1)).toMatchObject({
      module: 'github.com/acme/orders/internal/service',
      function: '(*OrderService).Total.func2.1',
      line: 141,
      inApp: true,
    });
    expect(go.groupingKey(e.frames.at(-1)!)).toBe(
      'github.com/acme/orders/internal/service.(*OrderService).Total.func.func',
    );
    expect(e.frames[0]).toMatchObject({ module: 'google.golang.org/grpc', function: '(*Server).serveStreams.func2' });
    expect(e.frames.filter((f) => !f.inApp).every((f) => f.module === 'google.golang.org/grpc')).toBe(true);
    expect(e.frames.filter((f) => f.inApp)).toHaveLength(5);
  });

  it('turns a [recovered] chain into top + cause, giving the stack to the final panic', () => {
    const p = parsed(fixture('database-sql-recovered.txt'));
    expect(p.exceptions.map((e) => [e.type, e.message])).toEqual([
      ['panic', 'repository: load customer 77: sql: database is closed'],
      ['panic', 'sql: database is closed'],
    ]);
    expect(p.exceptions[0]?.frames).toHaveLength(7);
    expect(p.exceptions[1]?.frames).toEqual([]);
    const sql = p.exceptions[0]!.frames.filter((f) => f.module === 'database/sql');
    expect(sql.map((f) => f.inApp)).toEqual([false, false, false]);
    expect(p.exceptions[0]?.frames.at(-1)).toMatchObject({ function: '(*Customers).mustLoad.func1', line: 31 });
  });

  it('reads fatal errors and ignores goroutines dumped after the first', () => {
    const e = top('concurrent-map-writes.txt');
    expect(e.type).toBe('fatal error');
    expect(e.message).toBe('concurrent map writes');
    expect(e.frames.map((f) => [f.function, f.line])).toEqual([
      ['(*Store).Warm', 58],
      ['(*Store).Warm.func1', 61],
      ['(*Store).Set', 27],
    ]);
    const deadlock = parsed(fixture('deadlock.txt'));
    expect(deadlock.exceptions[0]).toMatchObject({
      type: 'fatal error',
      message: 'all goroutines are asleep - deadlock!',
    });
    // GOPATH checkouts live under /go/src too; only GOROOT's stdlib there is library code.
    expect(deadlock.exceptions[0]?.frames.map((f) => f.inApp)).toEqual([true, true]);
  });

  it('reads `[recovered]` from the testing package and stops at trailing output', () => {
    const p = parsed(fixture('testing-repanicked.txt'));
    expect(p.exceptions).toHaveLength(2);
    const e = p.exceptions[0]!;
    expect(e.message).toBe('assignment to entry in nil map');
    expect(e.frames).toHaveLength(7);
    expect(e.frames.filter((f) => f.inApp).map((f) => f.function)).toEqual(['TestPost', '(*Book).Post']);
    expect(go.groupingKey(e.frames.at(-1)!)).toBe('testing.tRunner.func.func');
  });

  it('keeps generics as [...] and drops init/gowrap ordinals from keys', () => {
    const e = top('generics.txt');
    expect(e.type).toBe('runtime.Error');
    expect(e.frames.map((f) => f.function)).toEqual([
      'init.0',
      'main.gowrap1',
      'Map[go.shape.int,go.shape.float64]',
      '(*Window[...]).Flush',
      'Mean[...]',
    ]);
    expect(keys(e)).toEqual([
      'main.init',
      'main.main.gowrap',
      'github.com/acme/stats/agg.Map[...]',
      'github.com/acme/stats/agg.(*Window[...]).Flush',
      'github.com/acme/stats/agg.Mean[...]',
    ]);
  });

  it('reads -trimpath paths: module@version and stdlib are library, the main module is in-app', () => {
    const e = top('trimpath.txt');
    expect(e.message).toBe('invoice 9931 total mismatch: got 120.00, want 118.50');
    expect(e.frames.map((f) => [f.module, f.inApp])).toEqual([
      ['runtime', false],
      ['github.com/lib/pq', false],
      ['github.com/acme/billing/internal/invoice', false],
      ['github.com/acme/billing/internal/invoice', true],
    ]);
    expect(e.frames[2]).toMatchObject({ function: '(*Service).Finalize-fm', file: '<autogenerated>', line: 1 });
    expect(e.frames[3]?.file).toBe('github.com/acme/billing/internal/invoice/service.go');
  });

  it('reads pkg/errors %+v output as a wrap chain, the last section on top', () => {
    const p = parsed(fixture('pkg-errors-wrapped.txt'));
    expect(p.exceptions.map((e) => e.message)).toEqual([
      'starting notification queue',
      'dial tcp 10.1.0.9:6379: connect: connection refused',
    ]);
    expect(p.exceptions.map((e) => e.type)).toEqual(['', '']);
    expect(p.exceptions[1]?.frames.at(-1)).toEqual({
      module: 'github.com/acme/notify/internal/queue',
      function: '(*Redis).connect',
      file: '/srv/notify/internal/queue/redis.go',
      line: 52,
      inApp: true,
    });
    expect(p.exceptions[0]?.frames.map((f) => f.line)).toEqual([1650, 267, 29]);
  });

  it('reads GOTRACEBACK=system frames, escaped import paths, vendor and a multi-line panic value', () => {
    const e = top('gotraceback-system.txt');
    expect(e.type).toBe('panic');
    expect(e.message).toBe('yaml: unmarshal errors:\nline 4: cannot unmarshal !!str `ten` into int');
    expect(e.frames.map((f) => [f.module, f.line, f.inApp])).toEqual([
      ['main', 9, true],
      ['github.com/acme/deployer/config', 23, true],
      ['gopkg.in/yaml.v3', 493, false],
      [undefined, 779, false],
    ]);
  });

  it('returns undefined for text that is not a Go trace', () => {
    expect(go.parse('')).toBeUndefined();
    expect(go.parse('panic: boom')).toBeUndefined();
    expect(go.parse('some error happened\nand then another line')).toBeUndefined();
    for (const other of ['node', 'ruby', 'php']) {
      for (const { name, text } of corpus(other)) expect(go.parse(text), name).toBeUndefined();
    }
  });
});

describe('go.groupingKey', () => {
  it('is stable when line numbers, offsets, arguments and GOPATH/GOROOT prefixes change', () => {
    const original = top('http-panic-serving.txt');
    const moved = fixture('http-panic-serving.txt')
      .replace(/\.go:(\d+) \+0x[0-9a-f]+/g, (_m, l: string) => `.go:${Number(l) + 11} +0x99`)
      .replace(/0xc[0-9a-f]+/g, '0xc000abcdef')
      .replaceAll('/build/shop/', '/home/runner/work/shop/shop/')
      .replaceAll('/usr/local/go/', '/opt/hostedtoolcache/go/1.22.1/x64/');
    const shifted = parsed(moved).exceptions[0]!;
    expect(shifted.frames.map((f) => f.line)).not.toEqual(original.frames.map((f) => f.line));
    expect(keys(shifted)).toEqual(keys(original));
    expect(shifted.frames.map((f) => f.inApp)).toEqual(original.frames.map((f) => f.inApp));
  });

  it('removes closure ordinals but keeps nesting depth, receivers and packages apart', () => {
    const k = (module: string, fn: string) => go.groupingKey({ module, function: fn });
    expect(k('main', 'handler.func3')).toBe(k('main', 'handler.func1'));
    expect(k('main', 'glob..func12')).toBe('main.glob..func');
    const different = [
      k('main', 'handler.func1'),
      k('main', 'handler.func1.2'),
      k('main', 'handler'),
      k('main', '(*Server).handler'),
      k('main', '(Server).handler'),
      k('github.com/acme/a', 'handler'),
      k('github.com/acme/b', 'handler'),
    ];
    expect(new Set(different).size).toBe(different.length);
  });
});

describe('go.isLibraryFrame', () => {
  it('follows stdlib, GOROOT, module cache, vendor and @version rules', () => {
    expect(go.isLibraryFrame({ module: 'encoding/json', function: 'Unmarshal' })).toBe(true);
    expect(go.isLibraryFrame({ module: 'net/http', file: '/usr/lib/go-1.21/src/net/http/server.go' })).toBe(true);
    expect(go.isLibraryFrame({ function: 'panic', file: 'C:/Program Files/Go/src/runtime/panic.go' })).toBe(true);
    expect(go.isLibraryFrame({ module: 'github.com/x/y', file: '/root/go/pkg/mod/github.com/x/y@v1.2.3/y.go' })).toBe(
      true,
    );
    expect(go.isLibraryFrame({ module: 'github.com/x/y', file: '/src/app/vendor/github.com/x/y/y.go' })).toBe(true);
    expect(go.isLibraryFrame({ module: 'github.com/x/y', file: '/src/app/y/y.go' })).toBe(false);
    // A module named without a dot (`module myapp`) is not the standard library.
    expect(go.isLibraryFrame({ module: 'myapp/internal/db', file: '/src/myapp/internal/db/db.go' })).toBe(false);
    expect(go.isLibraryFrame({ module: 'main', file: '/go/src/github.com/acme/etl/main.go' })).toBe(false);
  });
});

describe('go.detect', () => {
  it('scores its own corpus above every other runtime corpus', () => {
    const own = corpus('go').map(({ text }) => go.detect(text));
    const others = otherCorpora('go').map(({ name, text }) => ({ name, score: go.detect(text) }));
    expect(Math.min(...own)).toBeGreaterThanOrEqual(0.8);
    for (const o of others) expect(o.score, o.name).toBeLessThan(Math.min(...own));
    for (const o of others) expect(o.score, o.name).toBeLessThanOrEqual(0.3);
  });

  it('is 0 for prose', () => {
    expect(go.detect('the goroutine finished')).toBe(0);
    expect(go.detect('')).toBe(0);
  });
});

describe('go robustness', () => {
  it('never throws on garbage, truncated or huge input and stays fast', () => {
    const good = fixture('http-panic-serving.txt');
    const inputs = [
      '\u0000\uffff goroutine 1 [ panic: \t:1 +0x',
      good.slice(0, 150),
      good.slice(0, good.length / 2),
      `goroutine 1 [running]:\n${'('.repeat(200_000)})`,
      `panic: x\n\ngoroutine 1 [running]:\n${'main.f()\n\t/a.go:1 +0x1\n'.repeat(60_000)}`,
      `${'a.b\n\t/x.go:1\n'.repeat(60_000)}`,
      'x'.repeat(1_000_000),
      `${'main.f(\n'.repeat(100_000)}`,
      `goroutine ${'1'.repeat(500_000)} [`,
    ];
    const start = performance.now();
    for (const input of inputs) {
      expect(() => go.parse(input)).not.toThrow();
      expect(() => go.detect(input)).not.toThrow();
    }
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('returns a partial parse for a truncated trace and caps frames', () => {
    const text = fixture('nil-pointer-main.txt');
    const cut = go.parse(text.slice(0, text.indexOf('main.main()')));
    expect(cut?.exceptions[0]?.type).toBe('runtime.Error');
    expect(cut?.exceptions[0]?.frames.map((f) => f.function)).toEqual([
      '(*Server).Run',
      '(*Server).Run.func1',
      '(*Server).handle',
    ]);
    const headerOnly = go.parse(text.slice(0, text.indexOf('main.(*Server).handle')));
    expect(headerOnly?.exceptions[0]?.frames).toEqual([]);
    const huge = go.parse(`panic: x\n\ngoroutine 1 [running]:\n${'main.f()\n\t/a.go:1 +0x1\n'.repeat(60_000)}`);
    expect(huge?.exceptions[0]?.frames.length).toBe(1000);
    expect(go.parse('x'.repeat(1_000_000))).toBeUndefined();
  });
});
