/** @module Tests for Node.js / V8 stack-trace parsing, grouping keys and detection against the fixture corpus. */
import { describe, expect, it } from 'vitest';
import {
  corpus,
  fixtureText,
  groupingKeys,
  otherCorpora,
  parseOrThrow,
} from '../../../test/helpers/stacktrace-corpus.js';
import { node } from './node.js';
import type { ParsedException, ParsedTrace } from './types.js';

const fixture = (name: string): string => fixtureText('node', name);
const parsed = (text: string): ParsedTrace => parseOrThrow(node, text);
const top = (name: string): ParsedException => parsed(fixture(name)).exceptions[0]!;
const keys = (e: ParsedException): string[] => groupingKeys(node, e.frames);

describe('node.parse', () => {
  it('parses every fixture with at least one frame', () => {
    const files = corpus('node');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const { name, text } of files) {
      const p = node.parse(text);
      expect(p, name).toBeDefined();
      expect(p?.language).toBe('node');
      expect(p?.exceptions[0]?.frames.length, name).toBeGreaterThan(0);
    }
  });

  it('reads an Express TypeError innermost-last with in-app and library frames', () => {
    const e = top('express-typeerror.txt');
    expect(e.type).toBe('TypeError');
    expect(e.message).toBe("Cannot read properties of undefined (reading 'id')");
    expect(e.frames).toHaveLength(10);
    expect(e.frames.at(-1)).toEqual({
      module: 'routes/user',
      function: 'Object.handler',
      file: '/app/src/routes/user.js',
      line: 42,
      column: 17,
      inApp: true,
    });
    expect(e.frames[0]).toMatchObject({
      module: 'node:internal/process/task_queues',
      function: 'process.processTicksAndRejections',
      inApp: false,
    });
    const layer = e.frames.at(-2)!;
    expect(layer).toMatchObject({ module: 'express/lib/router/layer', function: 'Layer.handle [as handle_request]' });
    expect(layer.inApp).toBe(false);
    // `at /app/node_modules/express/lib/router/index.js:284:15` is anonymous.
    const anonymous = e.frames.find((f) => f.line === 284);
    expect(anonymous).toMatchObject({ module: 'express/lib/router/index', column: 15, inApp: false });
    expect(anonymous?.function).toBeUndefined();
    expect(e.frames.filter((f) => f.inApp).map((f) => f.function)).toEqual(['authenticate', 'Object.handler']);
  });

  it('handles ESM file:// URLs, async frames and Promise.all (index N)', () => {
    const e = top('esm-async-promise-all.txt');
    expect(e.type).toBe('Error');
    expect(e.message).toBe('connect ECONNREFUSED 10.0.3.17:5432');
    expect(e.frames.map((f) => f.function)).toEqual([
      undefined,
      'loadDashboard',
      'UserService.load',
      'Promise.all',
      'TCPConnectWrap.afterConnect [as oncomplete]',
    ]);
    expect(e.frames[2]).toEqual({
      module: 'services/user',
      function: 'UserService.load',
      file: 'file:///srv/app/dist/services/user.mjs',
      line: 10,
      column: 5,
      inApp: true,
    });
    expect(e.frames[3]).toEqual({ function: 'Promise.all', inApp: false });
    expect(e.frames[0]).toMatchObject({ module: 'server', line: 58, inApp: true });
  });

  it('reads an Error with a code and node: builtins, `new` and `.<anonymous>` frames', () => {
    const e = top('err-http-headers-sent.txt');
    expect(e.type).toBe('Error [ERR_HTTP_HEADERS_SENT]');
    expect(e.message).toBe('Cannot set headers after they are sent to the client');
    expect(e.frames.at(-1)).toMatchObject({ module: 'node:_http_outgoing', line: 652, inApp: false });
    expect(e.frames.find((f) => f.function === 'new ResponseWriter')).toMatchObject({
      module: 'http/writer',
      inApp: true,
    });
    expect(e.frames.find((f) => f.function === 'Timeout.<anonymous>')).toMatchObject({
      module: 'http/slow-handler',
      line: 33,
    });
  });

  it('reads NestJS dist paths under /usr/src/app', () => {
    const e = top('nest-not-found.txt');
    expect(e.type).toBe('NotFoundException');
    expect(e.message).toBe('User 8f14e45f not found');
    expect(e.frames.at(-1)).toMatchObject({
      module: 'users/users.service',
      function: 'UsersService.findOne',
      inApp: true,
    });
    expect(e.frames[0]).toMatchObject({ module: '@nestjs/core/router/router-proxy', inApp: false });
  });

  it('normalises Next.js webpack URLs, route segments, chunk hashes and the webpack runtime', () => {
    const e = top('nextjs-webpack.txt');
    const byFn = new Map(e.frames.map((f) => [f.function, f]));
    expect(byFn.get('getSettings')).toMatchObject({
      module: 'settings',
      file: 'webpack-internal:///(rsc)/./src/lib/settings.ts',
      line: 31,
      inApp: true,
    });
    expect(byFn.get('OrgPage')?.module).toBe('orgs/[slug]/page');
    expect(byFn.get('fetchOrg')).toMatchObject({ module: 'api', file: 'webpack:///./src/lib/api.ts?abc1', line: 14 });
    expect(byFn.get('Object.render')?.module).toBe('chunks/main');
    expect(byFn.get('renderChunk')?.module).toBe('chunks/123');
    expect(byFn.get('Module.__webpack_require__')?.inApp).toBe(false);
  });

  it('keeps a multi-line Prisma message and ignores the inspected properties', () => {
    const e = top('prisma-unique-constraint.txt');
    expect(e.type).toBe('PrismaClientKnownRequestError');
    expect(e.message.startsWith('Invalid `prisma.user.create()` invocation in\n/app/src/services/user.ts:25:38')).toBe(
      true,
    );
    expect(e.message.endsWith('Unique constraint failed on the fields: (`email`)')).toBe(true);
    expect(e.message).not.toContain('P2002');
    expect(e.frames).toHaveLength(6);
    expect(e.frames.filter((f) => f.inApp).map((f) => f.module)).toEqual(['routes/signup', 'services/user']);
    expect(e.frames[0]).toMatchObject({ file: '/app/src/routes/signup.ts', line: 40, column: 18 });
  });

  it('follows a nested util.inspect [cause] chain', () => {
    const p = parsed(fixture('inspect-cause-chain.txt'));
    expect(p.exceptions.map((e) => [e.type, e.message])).toEqual([
      ['Error', 'Checkout failed for order 1042'],
      ['Error', 'Payment provider rejected the charge'],
      ['TypeError', 'fetch failed'],
      ['Error', 'getaddrinfo ENOTFOUND api.payments.example'],
    ]);
    expect(p.exceptions.map((e) => e.frames.length)).toEqual([2, 3, 2, 0]);
    expect(p.exceptions[1]?.frames.at(-1)).toMatchObject({ function: 'PaymentClient.charge', line: 54 });
    expect(p.exceptions[2]?.frames.at(-1)).toMatchObject({ module: 'node:internal/deps/undici/undici', inApp: false });
  });

  it('follows `caused by:` chains', () => {
    const p = parsed(fixture('caused-by-verror.txt'));
    expect(p.exceptions.map((e) => e.type)).toEqual(['SyncError', 'RangeError']);
    expect(p.exceptions[1]?.frames.at(-1)).toEqual({ function: 'Date.toISOString', inApp: false });
    expect(p.exceptions[1]?.frames.at(-2)).toMatchObject({ module: 'period', function: 'formatPeriod', line: 8 });
  });

  it('keeps AggregateError [errors] out of the frames and out of the cause chain', () => {
    const p = parsed(fixture('aggregate-error.txt'));
    expect(p.exceptions).toHaveLength(1);
    const e = p.exceptions[0]!;
    expect(e.type).toBe('AggregateError');
    expect(e.frames.map((f) => f.function)).toEqual(['Handler.serve', 'Mirror.fetchFirst']);
  });

  it('uses the eval origin as the location of eval frames and reads anonymous frames', () => {
    const e = top('eval-and-anonymous.txt');
    expect(e.type).toBe('ReferenceError');
    const innermost = e.frames.at(-1)!;
    expect(innermost).toEqual({
      module: 'lodash/template',
      function: 'eval',
      file: '/app/node_modules/lodash/template.js',
      line: 10,
      column: 5,
      inApp: false,
    });
    expect(e.frames.at(-2)).toMatchObject({ function: 'Object.eval', file: '/app/src/plugins/loader.js', line: 22 });
    expect(e.frames.at(-3)).toEqual({ function: 'Array.forEach', inApp: false });
    expect(e.frames.at(-4)).toMatchObject({ module: 'plugins/loader', line: 30, inApp: true });
    expect(e.frames.at(-4)?.function).toBeUndefined();
    expect(e.frames[0]).toEqual({ inApp: false });
  });

  it('finds the header after the source excerpt of an uncaught exception', () => {
    const e = top('uncaught-fatal.txt');
    expect(e.type).toBe('Error');
    expect(e.message).toBe('Queue emails is not configured');
    expect(e.frames).toHaveLength(8);
    expect(e.frames.at(-1)).toMatchObject({ module: 'worker/index', function: 'startWorker', line: 12 });
  });

  it("leaves out the emit site appended by an unhandled 'error' event report", () => {
    const p = parsed(fixture('unhandled-error-event.txt'));
    expect(p.exceptions).toHaveLength(1);
    const e = p.exceptions[0]!;
    expect(e.type).toBe('Error');
    expect(e.message).toBe('write EPIPE');
    expect(e.frames).toHaveLength(8);
    expect(e.frames[0]).toMatchObject({ function: '<anonymous>', module: 'cli', line: 18, inApp: true });
    expect(e.frames.some((f) => f.function === 'emitErrorNT')).toBe(false);
    expect(node.groupingKey(e.frames[0]!)).toBe(node.groupingKey({ file: '/srv/reporter/lib/cli.js' }));
  });

  it('reads Windows paths and a message spanning lines', () => {
    const e = top('windows-multiline.txt');
    expect(e.type).toBe('ValidationError');
    expect(e.message).toBe('Request body is invalid\n  - "email" must be a valid email\n  - "age" must be a number');
    expect(e.frames.at(-1)).toMatchObject({
      module: 'validation/validator',
      file: 'C:\\services\\intake\\src\\validation\\validator.js',
      line: 61,
      inApp: true,
    });
    expect(e.frames[0]).toMatchObject({ module: 'koa-compose/index', inApp: false });
  });

  it('returns undefined for text that is not a V8 trace', () => {
    expect(node.parse('')).toBeUndefined();
    expect(node.parse('TypeError: something went wrong')).toBeUndefined();
    expect(node.parse('java.lang.IllegalStateException: x\n\tat com.acme.Foo.bar(Foo.java:42)')).toBeUndefined();
    expect(node.parse('Traceback (most recent call last):\n  File "/app/x.py", line 3, in <module>')).toBeUndefined();
    for (const other of ['go', 'ruby', 'php']) {
      for (const { name, text } of corpus(other)) expect(node.parse(text), name).toBeUndefined();
    }
  });
});

describe('node.groupingKey', () => {
  it('is module + function without the alias or async marker', () => {
    expect(node.groupingKey({ file: '/app/src/routes/user.js', function: 'Object.handler', line: 1 })).toBe(
      'routes/user:Object.handler',
    );
    expect(
      node.groupingKey({ file: '/app/node_modules/express/lib/router/layer.js', function: 'Layer.handle [as x]' }),
    ).toBe('express/lib/router/layer:Layer.handle');
    expect(node.groupingKey({ file: '/app/src/x.js', function: 'async load' })).toBe('x:load');
    expect(node.groupingKey({ file: '/app/src/x.js' })).toBe('x:<anonymous>');
  });

  it('is stable when line numbers shift and deploy prefixes change', () => {
    const original = top('express-typeerror.txt');
    const moved = fixture('express-typeerror.txt')
      .replace(/:(\d+):(\d+)\)/g, (_m, l: string, c: string) => `:${Number(l) + 7}:${Number(c) + 3})`)
      .replaceAll('/app/', '/srv/app/releases/42/');
    const shifted = parsed(moved).exceptions[0]!;
    expect(shifted.frames.map((f) => f.line)).not.toEqual(original.frames.map((f) => f.line));
    expect(keys(shifted)).toEqual(keys(original));
  });

  it('maps TS sources, compiled output, releases and build hashes to the same key', () => {
    const same = [
      '/app/src/services/user.ts',
      '/app/dist/services/user.js',
      '/srv/app/releases/42/dist/services/user.js',
      'file:///srv/app/dist/services/user.mjs',
      'webpack:///./src/services/user.ts?abc1',
      'webpack-internal:///(rsc)/./src/services/user.tsx',
      '/home/ci/builds/9f8e7d6c5b/build/services/user.cjs',
    ].map((file) => node.groupingKey({ file, function: 'UserService.load' }));
    expect(new Set(same)).toEqual(new Set(['services/user:UserService.load']));
    expect(node.groupingKey({ file: '/app/dist/main.3f2a1b.js', function: 'a' })).toBe(
      node.groupingKey({ file: '/var/www/dist/main.9c8d7e.js', function: 'a' }),
    );
    expect(node.groupingKey({ file: '/app/dist/assets/index-BzR4dE9x.js', function: 'a' })).toBe(
      node.groupingKey({ file: '/app/dist/assets/index-Qw3rTy7u.js', function: 'a' }),
    );
    const pnpm = '/app/node_modules/.pnpm/express@4.18.2/node_modules/express/lib/router/index.js';
    expect(node.groupingKey({ file: pnpm, function: 'next' })).toBe(
      node.groupingKey({ file: '/srv/x/node_modules/express/lib/router/index.js', function: 'next' }),
    );
  });

  it('gives different code locations different keys', () => {
    const k = (file: string, fn: string) => node.groupingKey({ file, function: fn });
    const all = [
      k('/app/src/routes/user.js', 'Object.handler'),
      k('/app/src/routes/order.js', 'Object.handler'),
      k('/app/src/routes/user.js', 'Object.list'),
      k('/app/src/admin/routes/user.js', 'Object.handler'),
      k('/app/node_modules/other/routes/user.js', 'Object.handler'),
    ];
    expect(new Set(all).size).toBe(all.length);
    const express = keys(top('express-typeerror.txt'));
    const nest = keys(top('nest-not-found.txt'));
    expect(express.at(-1)).not.toBe(nest.at(-1));
  });
});

describe('node.isLibraryFrame', () => {
  it('classifies dependencies, builtins and engine frames as library', () => {
    expect(node.isLibraryFrame({ file: '/app/node_modules/pg/lib/client.js' })).toBe(true);
    expect(node.isLibraryFrame({ file: 'C:\\app\\node_modules\\pg\\lib\\client.js' })).toBe(true);
    expect(node.isLibraryFrame({ file: 'node:internal/timers' })).toBe(true);
    expect(node.isLibraryFrame({ file: 'internal/process/task_queues.js' })).toBe(true);
    expect(node.isLibraryFrame({ function: 'Array.map' })).toBe(true);
    expect(node.isLibraryFrame({ file: '/app/src/index.js' })).toBe(false);
    expect(node.isLibraryFrame({ file: 'webpack-internal:///./src/app/page.tsx' })).toBe(false);
  });
});

describe('node.detect', () => {
  it('scores its own corpus above every other runtime corpus', () => {
    const own = corpus('node').map(({ text }) => node.detect(text));
    const others = otherCorpora('node').map(({ name, text }) => ({ name, score: node.detect(text) }));
    expect(Math.min(...own)).toBeGreaterThanOrEqual(0.8);
    for (const o of others) expect(o.score, o.name).toBeLessThan(Math.min(...own));
    for (const o of others) expect(o.score, o.name).toBeLessThanOrEqual(0.3);
  });

  it('is 0 for prose', () => {
    expect(node.detect('the job ran at 10:42:17 and failed')).toBe(0);
    expect(node.detect('')).toBe(0);
  });
});

describe('node robustness', () => {
  it('never throws on garbage, truncated or huge input and stays fast', () => {
    const good = fixture('inspect-cause-chain.txt');
    const inputs = [
      '\u0000\uffff\ud800 at at at (((( )))) :1:2',
      good.slice(0, 137),
      good.slice(0, good.length / 2),
      `    at ${'('.repeat(200_000)}`,
      `    at f ${'(a:1:2) '.repeat(50_000)}`,
      `Error: x\n${'    at f (/a.js:1:2)\n'.repeat(60_000)}`,
      'x'.repeat(1_000_000),
      `Error: ${'a: b '.repeat(250_000)}\n    at f (/a.js:1:2)`,
      `${'  [errors]: [\n'.repeat(10_000)}    at f (/a.js:1:2)`,
    ];
    const start = performance.now();
    for (const input of inputs) {
      expect(() => node.parse(input)).not.toThrow();
      expect(() => node.detect(input)).not.toThrow();
    }
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('returns a partial parse for a truncated trace and caps frames', () => {
    const text = fixture('express-typeerror.txt');
    const cut = node.parse(text.slice(0, text.indexOf('Route.dispatch')));
    expect(cut?.exceptions[0]?.type).toBe('TypeError');
    expect(cut?.exceptions[0]?.frames.at(-1)?.function).toBe('Object.handler');
    const huge = node.parse(`Error: x\n${'    at f (/a.js:1:2)\n'.repeat(60_000)}`);
    expect(huge?.exceptions[0]?.frames.length).toBeLessThanOrEqual(1000);
    expect(huge?.exceptions[0]?.frames.length).toBeGreaterThan(0);
    expect(node.parse('x'.repeat(1_000_000))).toBeUndefined();
  });
});
