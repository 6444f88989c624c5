/** @module Tests for PHP stack-trace parsing, grouping keys and detection against the fixture corpus. */
import { describe, expect, it } from 'vitest';
import {
  corpus,
  fixtureText,
  groupingKeys,
  otherCorpora,
  parseOrThrow,
} from '../../../test/helpers/stacktrace-corpus.js';
import { php } from './php.js';
import type { ParsedException, ParsedTrace } from './types.js';

const fixture = (name: string): string => fixtureText('php', name);
const parsed = (text: string): ParsedTrace => parseOrThrow(php, text);
const top = (name: string): ParsedException => parsed(fixture(name)).exceptions[0]!;
const keys = (e: ParsedException): string[] => groupingKeys(php, e.frames);

describe('php.parse', () => {
  it('parses every fixture with at least one frame', () => {
    const files = corpus('php');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const { name, text } of files) {
      const p = php.parse(text);
      expect(p, name).toBeDefined();
      expect(p?.language).toBe('php');
      expect(p?.exceptions[0]?.frames.length, name).toBeGreaterThan(0);
    }
  });

  it('reads a fatal "Uncaught" error, shifting each call to its own location', () => {
    const e = top('fatal-uncaught.txt');
    expect(e.type).toBe('Exception');
    expect(e.message).toBe('Order 1187 cannot be shipped: address missing');
    expect(e.frames).toEqual([
      { function: '{main}', file: '/var/www/html/public/index.php', line: 20, inApp: true },
      {
        module: 'Symfony\\Component\\HttpKernel\\HttpKernel',
        function: 'handle',
        file: '/var/www/html/vendor/symfony/http-kernel/HttpKernel.php',
        line: 76,
        inApp: false,
      },
      {
        module: 'Symfony\\Component\\HttpKernel\\HttpKernel',
        function: 'handleRaw',
        file: '/var/www/html/vendor/symfony/http-kernel/HttpKernel.php',
        line: 181,
        inApp: false,
      },
      {
        module: 'App\\Controller\\ShipmentController',
        function: 'create',
        file: '/var/www/html/src/Controller/ShipmentController.php',
        line: 41,
        inApp: true,
      },
      {
        module: 'App\\Shipping\\Dispatcher',
        function: 'dispatch',
        file: '/var/www/html/src/Shipping/Dispatcher.php',
        line: 58,
        inApp: true,
      },
    ]);
  });

  it('reads Laravel/Monolog logs: doubled backslashes, [previous exception] as the cause', () => {
    const p = parsed(fixture('laravel-monolog.txt'));
    expect(p.exceptions.map((e) => [e.type, e.message])).toEqual([
      ['App\\Exceptions\\ProfileUnavailable', 'Unable to load profile for user 5'],
      ['PDOException', 'SQLSTATE[HY000] [2002] Connection refused'],
    ]);
    const e = p.exceptions[0]!;
    expect(e.frames).toHaveLength(7);
    expect(e.frames.at(-1)).toEqual({
      module: 'App\\Services\\ProfileService',
      function: 'load',
      file: '/var/www/html/app/Services/ProfileService.php',
      line: 44,
      inApp: true,
    });
    const closure = e.frames.find((f) => f.function?.includes('{closure}'))!;
    expect(closure).toMatchObject({ module: 'Illuminate\\Pipeline\\Pipeline', line: 183, inApp: false });
    expect(php.groupingKey(closure)).toBe('Illuminate\\Pipeline\\Pipeline::{closure}');
    expect(p.exceptions[1]?.frames.at(-1)).toMatchObject({ module: 'PDO', function: '__construct', inApp: false });
  });

  it('orders `Next` chains top first although PHP prints the previous exception first', () => {
    const p = parsed(fixture('next-chain.txt'));
    expect(p.exceptions.map((e) => e.type)).toEqual(['App\\Checkout\\PricingException', 'InvalidArgumentException']);
    expect(p.exceptions[0]?.message).toBe('Could not price cart 3301');
    expect(p.exceptions[1]?.message).toBe('Currency "XBT" is not supported');
    expect(p.exceptions[0]?.frames.at(-1)).toMatchObject({
      module: 'App\\Checkout\\PriceCalculator',
      function: 'total',
      line: 66,
    });
    expect(p.exceptions[1]?.frames.map((f) => f.function)).toEqual(['{main}', 'of', 'fromCode']);
    expect(p.exceptions[1]?.frames.at(-1)).toMatchObject({ module: 'App\\Money\\Currency', line: 23 });
  });

  it('reads a Symfony exception thrown inside vendor code', () => {
    const e = top('symfony-not-found.txt');
    expect(e.type).toBe('Symfony\\Component\\HttpKernel\\Exception\\NotFoundHttpException');
    expect(e.message).toBe('No route found for "GET https://shop.example/api/carts/abc"');
    expect(e.frames.filter((f) => f.inApp)).toEqual([
      { function: '{main}', file: '/var/www/shop/public/index.php', line: 5, inApp: true },
    ]);
    expect(e.frames[1]).toMatchObject({ function: 'require_once', line: 29, inApp: false });
    expect(e.frames.at(-1)).toMatchObject({ function: 'onKernelRequest', line: 127 });
  });

  it('takes the throw site from the last " in file:line" of a TypeError message', () => {
    const e = top('type-error.txt');
    expect(e.type).toBe('TypeError');
    expect(e.message).toBe(
      'App\\Billing\\InvoiceRepository::find(): Argument #1 ($id) must be of type int, string given, called in /var/www/billing/src/Http/InvoiceController.php on line 31 and defined',
    );
    expect(e.frames.at(-1)).toEqual({
      module: 'App\\Billing\\InvoiceRepository',
      function: 'find',
      file: '/var/www/billing/src/Billing/InvoiceRepository.php',
      line: 20,
      inApp: true,
    });
  });

  it('reads [internal function] frames, namespaced closures and error-handler exceptions', () => {
    const e = top('internal-function.txt');
    expect(e.type).toBe('ErrorException');
    expect(e.message).toBe('Undefined array key "sku"');
    expect(e.frames.map((f) => [f.function, f.line, f.inApp])).toEqual([
      ['{main}', 40, true],
      ['call', 36, false],
      ['call_user_func_array', undefined, false],
      ['map', 22, true],
      ['array_map', undefined, false],
      ['App\\Imports\\{closure}', 17, true],
      ['handleError', undefined, false],
    ]);
    expect(keys(e).slice(-3)).toEqual([
      ':array_map',
      'App\\Imports\\ProductRowMapper::{closure}',
      'Illuminate\\Foundation\\Bootstrap\\HandleExceptions::handleError',
    ]);
  });

  it('reads PHP 8.4 closure names and normalises them in keys', () => {
    const e = top('php84-closure.txt');
    expect(e.type).toBe('RuntimeException');
    expect(e.frames.at(-1)).toEqual({
      module: 'App\\Jobs\\Importer',
      function: '{closure:App\\Jobs\\Importer::handle():31}',
      file: '/app/src/Jobs/Importer.php',
      line: 33,
      inApp: true,
    });
    expect(php.groupingKey(e.frames.at(-1)!)).toBe('App\\Jobs\\Importer::{closure}');
    expect(php.groupingKey({ module: 'App\\Jobs\\Importer', function: '{closure}' })).toBe(
      'App\\Jobs\\Importer::{closure}',
    );
  });

  it("reads OTel's Java-style format with a cause and elided frames", () => {
    const p = parsed(fixture('otel-java-style.txt'));
    expect(p.exceptions.map((e) => [e.type, e.message])).toEqual([
      ['App\\Exceptions\\QuotaExceeded', 'Tenant acme exceeded 500 requests/min'],
      ['Predis\\Connection\\ConnectionException', 'Connection refused [tcp://redis:6379]'],
    ]);
    const e = p.exceptions[0]!;
    expect(e.frames.at(-1)).toEqual({
      module: 'App\\Http\\Middleware\\RateLimit',
      function: 'enforce',
      file: 'RateLimit.php',
      line: 48,
      inApp: true,
    });
    expect(e.frames.find((f) => f.function === 'call_user_func_array')).toEqual({
      function: 'call_user_func_array',
      inApp: false,
    });
    expect(e.frames.find((f) => f.module === 'Illuminate\\Pipeline\\Pipeline')?.inApp).toBe(false);
    expect(p.exceptions[1]?.frames.map((f) => f.inApp)).toEqual([true, false]);
  });

  it('reads a fatal engine error without a trace as one frame at the reported line', () => {
    const p = parsed(fixture('memory-exhausted.txt'));
    expect(p.exceptions).toEqual([
      {
        type: 'Fatal error',
        message: 'Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)',
        frames: [{ file: '/var/www/html/app/Reports/CsvBuilder.php', line: 88, inApp: true }],
      },
    ]);
  });

  it("maps eval()'d code to the evaluating line and reads static calls", () => {
    const e = top('eval-and-static.txt');
    expect(e.type).toBe('DivisionByZeroError');
    expect(e.message).toBe('Division by zero');
    expect(e.frames.map((f) => [f.module, f.function, f.file, f.line])).toEqual([
      [undefined, '{main}', '/var/www/legacy/public/report.php', 9],
      ['Legacy\\Report', 'render', '/var/www/legacy/lib/Report.php', 52],
      ['Legacy\\Formula', 'evaluate', '/var/www/legacy/lib/Formula.php', 14],
      [undefined, 'eval', undefined, undefined],
    ]);
  });

  it('returns undefined for text that is not a PHP trace', () => {
    expect(php.parse('')).toBeUndefined();
    expect(php.parse('Exception: boom')).toBeUndefined();
    expect(php.parse('# Heading\n#1 item\n#2 {other}')).toBeUndefined();
    for (const { name, text } of otherCorpora('php')) expect(php.parse(text), name).toBeUndefined();
  });
});

describe('php.groupingKey', () => {
  it('is stable across release directories and line shifts', () => {
    const a = top('fatal-uncaught.txt');
    const b = top('release-path.txt');
    expect(b.frames.map((f) => f.line)).not.toEqual(a.frames.map((f) => f.line));
    const ka = keys(a);
    expect(keys(b)).toEqual([ka[0], ka[1], ka[3], ka[4]]);
    expect(ka[0]).toBe('index:{main}');
    expect(ka.at(-1)).toBe('App\\Shipping\\Dispatcher::dispatch');
  });

  it('gives different code locations different keys', () => {
    const all = [
      php.groupingKey({ module: 'App\\Foo', function: 'bar' }),
      php.groupingKey({ module: 'App\\Foo', function: 'baz' }),
      php.groupingKey({ module: 'App\\Bar', function: 'bar' }),
      php.groupingKey({ function: 'bar', file: '/var/www/html/src/helpers.php' }),
      php.groupingKey({ function: 'bar', file: '/var/www/html/src/legacy/helpers.php' }),
    ];
    expect(new Set(all).size).toBe(all.length);
    expect(php.groupingKey({ module: 'App\\\\Foo', function: 'bar' })).toBe(all[0]);
    expect(php.groupingKey({ module: 'class@anonymous\u0000/app/x.php:3$0', function: 'handle' })).toBe(
      php.groupingKey({ module: 'class@anonymous\u0000/app/x.php:9$1', function: 'handle' }),
    );
  });
});

describe('php.isLibraryFrame', () => {
  it('classifies vendor, internal and system PHP code as library', () => {
    expect(php.isLibraryFrame({ file: '/var/www/html/vendor/laravel/framework/src/x.php' })).toBe(true);
    expect(php.isLibraryFrame({ function: 'array_map' })).toBe(true);
    expect(php.isLibraryFrame({ file: '/usr/share/php/Doctrine/DBAL/Connection.php' })).toBe(true);
    expect(php.isLibraryFrame({ file: 'phar:///usr/local/bin/composer/src/x.php' })).toBe(true);
    expect(php.isLibraryFrame({ file: '/var/www/html/app/Models/User.php' })).toBe(false);
    expect(php.isLibraryFrame({ module: 'Illuminate\\Support\\Arr', file: 'Arr.php' })).toBe(true);
    expect(php.isLibraryFrame({ module: 'App\\Support\\Arr', file: 'Arr.php' })).toBe(false);
  });
});

describe('php.detect', () => {
  it('scores its own corpus above every other runtime corpus', () => {
    const own = corpus('php').map(({ text }) => php.detect(text));
    const others = otherCorpora('php').map(({ name, text }) => ({ name, score: php.detect(text) }));
    expect(Math.min(...own)).toBeGreaterThanOrEqual(0.7);
    for (const o of others) expect(o.score, o.name).toBeLessThan(Math.min(...own));
    for (const o of others) expect(o.score, o.name).toBeLessThanOrEqual(0.3);
  });

  it('is 0 for prose', () => {
    expect(php.detect('uploaded index.php to the server')).toBe(0);
    expect(php.detect('')).toBe(0);
  });
});

describe('php robustness', () => {
  it('never throws on garbage, truncated or huge input and stays fast', () => {
    const good = fixture('laravel-monolog.txt');
    const inputs = [
      '\u0000\uffff #0 ): ( [object] ( (code: ): at',
      good.slice(0, 160),
      good.slice(0, good.length / 2),
      `#0 ${'{'.repeat(200_000)}`,
      `Stack trace:\n${'#0 /a.php(1): f()\n'.repeat(60_000)}`,
      'x'.repeat(1_000_000),
      `${'Next X: y in /a.php:1\n'.repeat(50_000)}Stack trace:\n#0 {main}`,
      `${'\tat a.b(c.php:1)\n'.repeat(60_000)}`,
    ];
    const start = performance.now();
    for (const input of inputs) {
      expect(() => php.parse(input)).not.toThrow();
      expect(() => php.detect(input)).not.toThrow();
    }
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('returns a partial parse for a truncated trace and caps frames', () => {
    const text = fixture('fatal-uncaught.txt');
    const cut = php.parse(text.slice(0, text.indexOf('#2 ')));
    expect(cut?.exceptions[0]?.type).toBe('Exception');
    expect(cut?.exceptions[0]?.frames.map((f) => f.function)).toEqual([undefined, 'create', 'dispatch']);
    const huge = php.parse(`E: x in /a.php:1\nStack trace:\n${'#0 /a.php(1): f()\n'.repeat(60_000)}`);
    expect(huge?.exceptions[0]?.frames.length).toBeLessThanOrEqual(1001);
    expect(huge?.exceptions[0]?.frames.length).toBeGreaterThan(100);
    expect(php.parse('x'.repeat(1_000_000))).toBeUndefined();
  });
});
