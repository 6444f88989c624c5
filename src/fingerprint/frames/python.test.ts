/** @module Tests for Python traceback parsing, grouping keys and detection against the fixture corpus. */
import { describe, expect, it } from 'vitest';
import {
  corpus,
  fixtureText,
  groupingKeys,
  otherCorpora,
  parseOrThrow,
} from '../../../test/helpers/stacktrace-corpus.js';
import { python } from './python.js';
import type { ParsedTrace, RawFrame } from './types.js';

const fixture = (name: string): string => fixtureText('python', name);
const parsed = (name: string): ParsedTrace => parseOrThrow(python, fixture(name), name);
const keys = (trace: ParsedTrace): string[] => trace.exceptions.flatMap((e) => groupingKeys(python, e.frames));

describe('python.parse on the corpus', () => {
  it('parses every fixture with at least one frame and a type on the top exception', () => {
    const files = corpus('python');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const { name, text } of files) {
      const trace = python.parse(text);
      expect(trace, name).toBeDefined();
      expect(trace!.language).toBe('python');
      expect(trace!.exceptions[0]!.type, name).not.toBe('');
      expect(
        trace!.exceptions.some((e) => e.frames.length > 0),
        name,
      ).toBe(true);
    }
  });

  it('reads a Django trace: dotted type, quoted message, frames outermost first, 3.11 carets skipped', () => {
    const trace = parsed('django_keyerror.txt');
    expect(trace.exceptions).toHaveLength(1);
    const [ex] = trace.exceptions;
    expect(ex!.type).toBe('django.utils.datastructures.MultiValueDictKeyError');
    expect(ex!.message).toBe("'currency'");
    expect(ex!.frames).toHaveLength(7);
    expect(ex!.frames[0]).toEqual({
      module: 'django.core.handlers.exception',
      function: 'inner',
      file: '/usr/local/lib/python3.11/site-packages/django/core/handlers/exception.py',
      line: 55,
      inApp: false,
    });
    expect(ex!.frames[4]).toEqual({
      module: 'shop.orders.views',
      function: 'get',
      file: '/app/shop/orders/views.py',
      line: 88,
      inApp: true,
    });
    expect(ex!.frames[5]).toMatchObject({ module: 'shop.orders.services', function: 'build_summary', line: 131 });
    expect(ex!.frames[6]).toMatchObject({ function: '__getitem__', inApp: false });
  });

  it('orders a `raise ... from` chain final-first, with multi-line messages kept', () => {
    const trace = parsed('flask_sqlalchemy_integrity.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'billing.errors.DuplicateUserError',
      'sqlalchemy.exc.IntegrityError',
      'psycopg2.errors.UniqueViolation',
    ]);
    expect(trace.exceptions.map((e) => e.frames.length)).toEqual([5, 4, 2]);
    const [top, integrity, unique] = trace.exceptions;
    expect(top!.message).toBe('user ana@example.com already exists');
    expect(unique!.message).toBe(
      'duplicate key value violates unique constraint "users_email_key"\nDETAIL:  Key (email)=(ana@example.com) already exists.',
    );
    expect(integrity!.message.startsWith('(psycopg2.errors.UniqueViolation) duplicate key')).toBe(true);
    expect(integrity!.message).toContain('\n[SQL: INSERT INTO users');
    expect(integrity!.message.endsWith('(Background on this error at: https://sqlalche.me/e/20/gkpj)')).toBe(true);
    // The virtualenv lives inside the release directory; site-packages still wins over the release root.
    expect(top!.frames[0]).toMatchObject({ module: 'flask.app', function: 'wsgi_app', inApp: false });
    expect(top!.frames[4]).toMatchObject({
      module: 'billing.api.users',
      function: 'create_user',
      line: 44,
      inApp: true,
    });
  });

  it('follows "During handling" chains through four exceptions', () => {
    const trace = parsed('celery_requests_connection.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'requests.exceptions.ConnectionError',
      'urllib3.exceptions.MaxRetryError',
      'urllib3.exceptions.NewConnectionError',
      'ConnectionRefusedError',
    ]);
    expect(trace.exceptions[3]!.message).toBe('[Errno 111] Connection refused');
    const top = trace.exceptions[0]!;
    expect(top.frames.map((f) => f.inApp)).toEqual([false, false, true, true, false, false]);
    expect(top.frames[2]).toMatchObject({
      module: 'warehouse.tasks.stock',
      function: 'sync_stock',
      file: '/home/deploy/warehouse/warehouse/tasks/stock.py',
      line: 23,
    });
  });

  it('parses the top exception group and keeps sub-exceptions out of its frames and chain', () => {
    const trace = parsed('asyncio_exception_group.txt');
    expect(trace.exceptions).toHaveLength(1);
    const [group] = trace.exceptions;
    expect(group!.type).toBe('ExceptionGroup');
    expect(group!.message).toBe('unhandled errors in a TaskGroup (2 sub-exceptions)');
    expect(group!.frames.map((f) => f.function)).toEqual([
      '<module>',
      'run',
      'run_until_complete',
      'main',
      '__aexit__',
    ]);
    expect(group!.frames[0]).toMatchObject({ module: 'ingest.main', line: 19, inApp: true });
    expect(group!.frames[1]).toMatchObject({ module: 'asyncio.runners', inApp: false });
  });

  it('handles a plain traceback chained into an exception group', () => {
    const trace = parsed('exception_group_chained.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual(['ExceptionGroup', 'ValueError']);
    expect(trace.exceptions[0]!.message).toBe('batch failed (2 sub-exceptions)');
    expect(trace.exceptions[0]!.frames).toEqual([
      { module: 'jobs.batch', function: 'run_batch', file: '/app/jobs/batch.py', line: 33, inApp: true },
    ]);
    expect(trace.exceptions[1]!.frames.map((f) => f.line)).toEqual([27, 12]);
  });

  it('keeps pseudo-function names and a message-less exception', () => {
    const trace = parsed('comprehensions_lambda_keyerror.txt');
    const [ex] = trace.exceptions;
    expect(ex!.type).toBe('KeyError');
    expect(ex!.message).toBe('');
    expect(ex!.frames.map((f) => f.function)).toEqual([
      '<module>',
      'main',
      '<lambda>',
      'load_rows',
      '<listcomp>',
      'normalise',
      '<genexpr>',
      'clean',
    ]);
    expect(ex!.frames[0]!.module).toBe('scripts.rebuild_index');
    expect(ex!.frames[4]!.module).toBe('reporting.loader');
  });

  it('classifies frozen importlib frames and stdlib frames as library code', () => {
    const trace = parsed('django_startup_importlib.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual(['ImportError', 'ModuleNotFoundError']);
    expect(trace.exceptions[1]!.message).toBe("No module named 'shop.middleware.tenant'");
    const cause = trace.exceptions[1]!.frames;
    expect(cause).toHaveLength(6);
    expect(cause[2]).toMatchObject({ module: 'importlib', function: 'import_module', inApp: false });
    expect(cause[5]).toEqual({
      module: 'importlib._bootstrap',
      function: '_find_and_load_unlocked',
      file: '<frozen importlib._bootstrap>',
      line: 1140,
      inApp: false,
    });
    expect(trace.exceptions[0]!.frames[0]).toMatchObject({ module: 'manage', function: '<module>', inApp: true });
  });

  it('skips "[Previous line repeated]" markers', () => {
    const [ex] = parsed('recursion_error.txt').exceptions;
    expect(ex!.type).toBe('RecursionError');
    expect(ex!.message).toBe('maximum recursion depth exceeded');
    expect(ex!.frames.map((f) => `${f.function}:${f.line}`)).toEqual([
      '<module>:40',
      'depth:33',
      '<genexpr>:33',
      'depth:33',
      'depth:30',
    ]);
  });

  it('treats <string> frames as generated code and keeps a multi-line message whole', () => {
    const [ex] = parsed('pydantic_string_multiline.txt').exceptions;
    expect(ex!.type).toBe('pydantic_core._pydantic_core.ValidationError');
    const lines = ex!.message.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('2 validation errors for Profile');
    expect(lines[6]).toBe('    For further information visit https://errors.pydantic.dev/2.6/v/int_parsing');
    expect(ex!.frames[1]).toEqual({
      module: '<string>',
      function: '__init__',
      file: '<string>',
      line: 5,
      inApp: false,
    });
    expect(ex!.frames[2]).toMatchObject({ module: 'svc.models', function: '__post_init__', inApp: true });
  });

  it('recognises Debian dist-packages and /usr/lib/pythonX.Y as library code', () => {
    const trace = parsed('debian_dist_packages_operational.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'sqlalchemy.exc.OperationalError',
      'psycopg2.OperationalError',
    ]);
    expect(trace.exceptions[1]!.message).toBe(
      'connection to server at "db.internal" (10.0.3.7), port 5432 failed: Connection timed out\n\tIs the server running on that host and accepting TCP/IP connections?',
    );
    const top = trace.exceptions[0]!.frames;
    expect(top.map((f) => f.module)).toEqual([
      'threading',
      'threading',
      'etl.worker',
      'etl.repo',
      'sqlalchemy.engine.base',
    ]);
    expect(top.map((f) => f.inApp)).toEqual([false, false, true, true, false]);
    expect(trace.exceptions[1]!.frames[2]).toMatchObject({ module: 'psycopg2', function: 'connect' });
  });

  it('normalises Windows paths', () => {
    const [ex] = parsed('windows_paths.txt').exceptions;
    expect(ex!.frames.map((f) => f.module)).toEqual(['app.cli', 'app.config', 'codecs']);
    expect(ex!.frames.map((f) => f.inApp)).toEqual([true, true, false]);
  });

  it('accepts a SyntaxError frame without a function name', () => {
    const [ex] = parsed('syntax_error.txt').exceptions;
    expect(ex!.type).toBe('SyntaxError');
    expect(ex!.frames[1]).toEqual({ module: 'app.routes', file: '/app/app/routes.py', line: 12, inApp: true });
  });

  it('accepts a cause printed without a traceback', () => {
    const text = [
      'ValueError: inner problem',
      '',
      'The above exception was the direct cause of the following exception:',
      '',
      'Traceback (most recent call last):',
      '  File "/app/svc/run.py", line 3, in go',
      '    raise RuntimeError("outer") from ValueError("inner problem")',
      'RuntimeError: outer',
    ].join('\n');
    const trace = python.parse(text);
    expect(trace?.exceptions.map((e) => [e.type, e.message, e.frames.length])).toEqual([
      ['RuntimeError', 'outer', 1],
      ['ValueError', 'inner problem', 0],
    ]);
  });

  it('ends the message at the next log record', () => {
    const text = `${fixture('fastapi_carets_311.txt')}2024-03-12 10:15:02,117 INFO uvicorn.access: GET /health 200\nINFO:     10.0.0.5:51234 - "GET /health" 200\n`;
    expect(python.parse(text)!.exceptions[0]!.message).toBe('division by zero');
  });

  it('parses CRLF text the same as LF text', () => {
    const text = fixture('celery_requests_connection.txt');
    expect(python.parse(text.replace(/\n/g, '\r\n'))).toEqual(python.parse(text));
  });
});

describe('python.groupingKey', () => {
  it('is module:function', () => {
    expect(python.groupingKey({ module: 'app.services.user', function: 'get_user', line: 3 })).toBe(
      'app.services.user:get_user',
    );
  });

  it('does not change when line numbers shift', () => {
    for (const { name, text } of corpus('python')) {
      const shifted = text.replace(/, line (\d+)/g, (_m, n: string) => `, line ${Number(n) + 17}`);
      const before = python.parse(text)!;
      const after = python.parse(shifted)!;
      expect(keys(after), name).toEqual(keys(before));
      expect(after.exceptions[0]!.frames[0]!.line, name).not.toBe(before.exceptions[0]!.frames[0]!.line);
    }
  });

  it('is the same for one app file under different deployment roots', () => {
    const roots = [
      '/app/',
      '/srv/app/releases/20240101/',
      '/srv/app/releases/20240315T0900/',
      '/srv/app/current/',
      '/home/u/proj/',
      '/Users/dana/proj/',
      '/usr/src/app/',
      '/opt/svc/',
      '/var/www/shop/releases/7/',
      '/home/u/proj/src/',
      'C:\\Users\\u\\proj\\',
    ];
    const keysFor = roots.map((root) => {
      const sep = root.includes('\\') ? '\\' : '/';
      const file = `${root}app${sep}services${sep}user.py`;
      const text = `Traceback (most recent call last):\n  File "${file}", line 12, in get_user\n    return users[uid]\nKeyError: 7\n`;
      const trace = python.parse(text)!;
      return python.groupingKey(trace.exceptions[0]!.frames[0]!);
    });
    expect(new Set(keysFor)).toEqual(new Set(['app.services.user:get_user']));
  });

  it('uses the last three path segments under an unrecognised root', () => {
    expect(python.groupingKey({ file: '/weird/deploy/app/services/user.py', function: 'f' })).toBe(
      'app.services.user:f',
    );
    expect(python.groupingKey({ file: '/a/b/c/d/e/app/services/user.py', function: 'f' })).toBe('app.services.user:f');
  });

  it('is the same for one dependency under different interpreters and virtualenvs', () => {
    const files = [
      '/usr/local/lib/python3.11/site-packages/django/core/handlers/base.py',
      '/home/u/proj/.venv/lib/python3.12/site-packages/django/core/handlers/base.py',
      '/usr/lib/python3/dist-packages/django/core/handlers/base.py',
      'C:\\proj\\.venv\\Lib\\site-packages\\django\\core\\handlers\\base.py',
    ];
    const set = new Set(files.map((file) => python.groupingKey({ file, function: '_get_response' })));
    expect(set).toEqual(new Set(['django.core.handlers.base:_get_response']));
  });

  it('drops __init__ and src/ so packages key by their import name', () => {
    expect(python.groupingKey({ file: '/app/src/billing/__init__.py', function: 'setup' })).toBe('billing:setup');
  });

  it('tells different code locations apart', () => {
    const a = python.groupingKey({ file: '/app/app/services/user.py', function: 'get_user' });
    const b = python.groupingKey({ file: '/app/app/services/user.py', function: 'delete_user' });
    const c = python.groupingKey({ file: '/app/app/services/order.py', function: 'get_user' });
    const d = python.groupingKey({ file: '/app/app/views/user.py', function: 'get_user' });
    expect(new Set([a, b, c, d]).size).toBe(4);
    const trace = parsed('django_keyerror.txt');
    const k = keys(trace);
    expect(k).toContain('shop.orders.views:get');
    expect(k).toContain('shop.orders.services:build_summary');
  });
});

describe('python.isLibraryFrame', () => {
  const cases: [RawFrame, boolean][] = [
    [{ file: '/usr/local/lib/python3.11/site-packages/requests/api.py' }, true],
    [{ file: '/usr/lib/python3/dist-packages/yaml/loader.py' }, true],
    [{ file: '/usr/lib/python3.10/json/decoder.py' }, true],
    [{ file: '/home/u/.pyenv/versions/3.12.1/lib/python3.12/asyncio/tasks.py' }, true],
    [{ file: '<frozen importlib._bootstrap_external>' }, true],
    [{ file: '<string>' }, true],
    [{ file: '/usr/local/bin/celery' }, true],
    [{ file: 'C:\\Python311\\Lib\\codecs.py' }, true],
    [{ file: '/app/app/services/user.py' }, false],
    [{ file: '/srv/app/releases/1/lib/helpers.py' }, false],
    [{ file: 'app/models.py' }, false],
    [{ file: '<stdin>' }, false],
    [{ module: 'importlib._bootstrap', function: '_call_with_frames_removed' }, true],
    [{ module: 'app.services', function: 'x' }, false],
  ];
  for (const [frame, expected] of cases) {
    it(`${frame.file ?? frame.module} -> ${expected}`, () => {
      expect(python.isLibraryFrame(frame)).toBe(expected);
    });
  }
});

describe('python.detect', () => {
  it('scores every Python trace above every other runtime trace', () => {
    const own = corpus('python');
    const others = otherCorpora('python');
    expect(others.length).toBeGreaterThanOrEqual(10);
    const minOwn = Math.min(...own.map((f) => python.detect(f.text)));
    for (const other of others) expect(python.detect(other.text), other.name).toBeLessThan(minOwn);
    expect(minOwn).toBeGreaterThanOrEqual(0.9);
  });

  it('stays within 0..1 and is 0 for plain text', () => {
    expect(python.detect('')).toBe(0);
    expect(python.detect('user 42 not found')).toBe(0);
    expect(python.detect('x'.repeat(2_000_000))).toBe(0);
  });
});

describe('python.parse robustness', () => {
  it('returns undefined for other runtimes and non-traces', () => {
    for (const { name, text } of otherCorpora('python')) expect(python.parse(text), name).toBeUndefined();
    expect(python.parse('')).toBeUndefined();
    expect(python.parse('ValueError: no traceback here')).toBeUndefined();
    expect(python.parse('Traceback (most recent call last):')).toBeUndefined();
  });

  it('returns a partial parse for a trace cut mid-frames', () => {
    const text = fixture('django_keyerror.txt');
    const cut = text.slice(0, text.indexOf('  File "/app/shop/orders/services.py"'));
    const trace = python.parse(cut);
    expect(trace?.exceptions).toHaveLength(1);
    expect(trace!.exceptions[0]!.type).toBe('');
    expect(trace!.exceptions[0]!.frames.map((f) => f.function)).toEqual([
      'inner',
      '_get_response',
      'wrapper_view',
      'view',
      'get',
    ]);
  });

  it('never throws on any truncation of any fixture', () => {
    for (const { name, text } of corpus('python')) {
      for (let end = 0; end < text.length; end += 37) {
        const trace = python.parse(text.slice(0, end));
        if (trace !== undefined) expect(trace.exceptions.length, name).toBeGreaterThan(0);
      }
    }
  });

  it('handles megabyte-sized garbage in linear time', () => {
    const mb = 1_000_000;
    const inputs = [
      'x'.repeat(mb),
      '\n'.repeat(mb),
      `Traceback (most recent call last):\n  File "${'a'.repeat(mb)}`,
      `Traceback (most recent call last):\n  File "${'", line 1, in '.repeat(mb / 14)}`,
      `Traceback (most recent call last):\n${'  File "/app/a.py", line 1, in f\n    f()\n'.repeat(mb / 40)}RecursionError: deep\n`,
      `Traceback (most recent call last):\nValueError: ${'m'.repeat(mb)}`,
      `  + Exception Group Traceback (most recent call last):\n${'  | '.repeat(mb / 4)}`,
      Array.from({ length: mb / 8 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90)).repeat(7)).join('\n'),
    ];
    for (const input of inputs) {
      const started = performance.now();
      const trace = python.parse(input);
      expect(performance.now() - started).toBeLessThan(1500);
      if (trace !== undefined) {
        for (const ex of trace.exceptions) expect(ex.message.length).toBeLessThanOrEqual(8192);
      }
    }
    const deep = python.parse(inputs[4]!);
    expect(deep!.exceptions[0]!.type).toBe('RecursionError');
    expect(deep!.exceptions[0]!.frames).toHaveLength(25_000);
  });
});
