/** @module Tests for .NET stack-trace parsing, grouping keys and detection against the fixture corpus. */
import { describe, expect, it } from 'vitest';
import {
  corpus,
  fixtureText,
  groupingKeys,
  otherCorpora,
  parseOrThrow,
} from '../../../test/helpers/stacktrace-corpus.js';
import { dotnet } from './dotnet.js';
import type { ParsedTrace } from './types.js';

const fixture = (name: string): string => fixtureText('dotnet', name);
const parsed = (name: string): ParsedTrace => parseOrThrow(dotnet, fixture(name), name);
const keys = (trace: ParsedTrace): string[] => trace.exceptions.flatMap((e) => groupingKeys(dotnet, e.frames));

const key = (module: string | undefined, fn: string): string =>
  dotnet.groupingKey(module === undefined ? { function: fn } : { module, function: fn });

describe('dotnet.parse on the corpus', () => {
  it('parses every fixture', () => {
    const files = corpus('dotnet');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const { name, text } of files) {
      const trace = dotnet.parse(text);
      expect(trace, name).toBeDefined();
      expect(trace!.language).toBe('dotnet');
      expect(trace!.exceptions[0]!.type, name).toMatch(/^[\w.`]+$/);
      expect(trace!.exceptions[0]!.frames.length, name).toBeGreaterThan(0);
    }
  });

  it('reads an ASP.NET Core trace outermost first, across rethrow separators', () => {
    const trace = parsed('aspnetcore_sequence_empty.txt');
    expect(trace.exceptions).toHaveLength(1);
    const [ex] = trace.exceptions;
    expect(ex!.type).toBe('System.InvalidOperationException');
    expect(ex!.message).toBe('Sequence contains no elements');
    expect(ex!.frames).toHaveLength(12);
    expect(ex!.frames[0]).toEqual({
      module: 'Microsoft.AspNetCore.Diagnostics.DeveloperExceptionPageMiddlewareImpl',
      function: 'Invoke',
      inApp: false,
    });
    expect(ex!.frames[1]).toEqual({
      module: 'Shop.Api.Middleware.TenantMiddleware',
      function: 'InvokeAsync',
      file: '/src/Shop.Api/Middleware/TenantMiddleware.cs',
      line: 31,
      inApp: true,
    });
    expect(ex!.frames.at(-3)).toEqual({
      module: 'Shop.Api.Services.OrderService',
      function: 'GetLatestOrder',
      file: '/src/Shop.Api/Services/OrderService.cs',
      line: 42,
      inApp: true,
    });
    expect(ex!.frames.at(-2)).toEqual({ module: 'System.Linq.Enumerable', function: 'First[TSource]', inApp: false });
    expect(ex!.frames.at(-1)).toMatchObject({
      module: 'System.Linq.ThrowHelper',
      function: 'ThrowNoElementsException',
    });
    const lambda = ex!.frames.find((f) => f.function === 'lambda_method12')!;
    expect(lambda).toEqual({ function: 'lambda_method12', inApp: false });
  });

  it('splits inner exceptions and assigns each frame section to its exception', () => {
    const trace = parsed('efcore_dbupdate_npgsql.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'Microsoft.EntityFrameworkCore.DbUpdateException',
      'Npgsql.PostgresException',
    ]);
    const [outer, inner] = trace.exceptions;
    expect(outer!.message).toBe(
      'An error occurred while saving the entity changes. See the inner exception for details.',
    );
    expect(
      inner!.message.startsWith('23505: duplicate key value violates unique constraint "IX_Users_Email"\nDETAIL: '),
    ).toBe(true);
    expect(inner!.frames.map((f) => f.function)).toEqual([
      'ExecuteAsync',
      'NextResult',
      'GetResult',
      'ReadMessageLong',
    ]);
    expect(outer!.frames).toHaveLength(7);
    expect(outer!.frames[1]).toEqual({
      module: 'Accounts.Api.Endpoints.UsersEndpoints.<>c.<<MapUsers>b__0_0>d',
      function: 'MoveNext',
      file: '/app/src/Accounts.Api/Endpoints/UsersEndpoints.cs',
      line: 19,
      inApp: true,
    });
    expect(dotnet.groupingKey(outer!.frames[1]!)).toBe('Accounts.Api.Endpoints.UsersEndpoints.MapUsers.<lambda>');
  });

  it('reads .NET Framework output: prefix, inline inner exception, old async frames, AggregateException tail', () => {
    const trace = parsed('framework_async_statemachine.txt');
    expect(trace.exceptions.map((e) => [e.type, e.message])).toEqual([
      ['System.AggregateException', 'One or more errors occurred.'],
      ['System.Net.WebException', 'The remote server returned an error: (503) Server Unavailable.'],
    ]);
    expect(trace.exceptions[0]!.frames.map((f) => f.function)).toEqual(['Main', 'Wait', 'ThrowIfExceptional']);
    const inner = trace.exceptions[1]!.frames;
    expect(inner).toHaveLength(8);
    expect(inner[0]).toEqual({
      module: 'Legacy.Sync.SyncJob.<RunAsync>d__3',
      function: 'MoveNext',
      file: 'C:\\build\\agent\\_work\\3\\s\\Legacy.Sync\\SyncJob.cs',
      line: 28,
      inApp: true,
    });
    expect(inner.filter((f) => f.inApp).map((f) => dotnet.groupingKey(f))).toEqual([
      'Legacy.Sync.SyncJob.RunAsync',
      'Legacy.Sync.FeedClient.DownloadAsync',
    ]);
    expect(inner[1]).toMatchObject({ module: 'System.Runtime.CompilerServices.TaskAwaiter', inApp: false });
  });

  it('folds lambdas, closures and local functions into their source method', () => {
    const [ex] = parsed('lambdas_local_functions.txt').exceptions;
    expect(ex!.type).toBe('System.FormatException');
    expect(ex!.frames.filter((f) => f.inApp).map((f) => dotnet.groupingKey(f))).toEqual([
      'Program.<Main>$',
      'Program.<Main>$.Run',
      'Program.Main.<lambda>',
      'Reports.Csv.Importer.Import',
      'Reports.Csv.Importer.Import.<lambda>',
      'Reports.Csv.RowMapper.Map',
      'Reports.Csv.RowMapper.Map.ParseCells',
      'Reports.Csv.RowMapper.Map.<lambda>',
    ]);
    expect(ex!.frames.at(-3)).toMatchObject({ module: 'Reports.Csv.RowMapper.<>c', function: '<Map>b__3_1', line: 40 });
  });

  it('keeps generic arity, drops generic method arguments from keys, and parses constructors', () => {
    const [ex] = parsed('generic_arity_keynotfound.txt').exceptions;
    expect(ex!.type).toBe('System.Collections.Generic.KeyNotFoundException');
    expect(ex!.message).toBe("The given key 'tenant-42' was not present in the dictionary.");
    expect(ex!.frames.at(-1)).toEqual({
      module: 'System.Collections.Generic.Dictionary`2',
      function: 'get_Item',
      inApp: false,
    });
    expect(ex!.frames[2]).toEqual({
      module: 'Platform.Tenancy.TenantResolver',
      function: '.ctor',
      file: '/src/Platform/Tenancy/TenantResolver.cs',
      line: 20,
      inApp: true,
    });
    expect(ex!.frames.slice(2, 5).map((f) => dotnet.groupingKey(f))).toEqual([
      'Platform.Tenancy.TenantResolver..ctor',
      'Platform.Caching.TypedCache`2.GetOrThrow',
      'Platform.Caching.TypedCache`2.Get',
    ]);
  });

  it('handles a five-level inner chain with frame-less levels', () => {
    const trace = parsed('httpclient_timeout_five_levels.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'System.Threading.Tasks.TaskCanceledException',
      'System.TimeoutException',
      'System.Threading.Tasks.TaskCanceledException',
      'System.IO.IOException',
      'System.Net.Sockets.SocketException',
    ]);
    expect(trace.exceptions.map((e) => e.frames.length)).toEqual([5, 0, 2, 3, 0]);
    expect(trace.exceptions[4]!.message).toBe('Operation canceled');
    expect(trace.exceptions[0]!.frames[0]).toMatchObject({
      module: 'Payments.Worker.ChargeConsumer',
      function: 'Consume',
      line: 41,
      inApp: true,
    });
    expect(trace.exceptions[0]!.frames[2]).toMatchObject({ module: 'Polly.Retry.AsyncRetryEngine', inApp: false });
  });

  it('finds the exception inside ASP.NET Core console-logger output', () => {
    const [ex] = parsed('aspnet_console_logger_indented.txt').exceptions;
    expect(ex!.type).toBe('System.NullReferenceException');
    expect(ex!.message).toBe('Object reference not set to an instance of an object.');
    expect(ex!.frames.map((f) => f.inApp)).toEqual([false, false, true, true]);
    expect(ex!.frames[3]).toMatchObject({
      module: 'Inventory.Api.Services.StockService',
      function: 'Reserve',
      line: 74,
    });
  });

  it('strips HRESULT/errno codes from types and stops before trailing diagnostics', () => {
    const grpc = parsed('grpc_rpc_exception.txt');
    expect(grpc.exceptions.map((e) => e.type)).toEqual([
      'Grpc.Core.RpcException',
      'System.Net.Sockets.SocketException',
    ]);
    expect(grpc.exceptions[0]!.message).toContain(
      'DebugException="System.Net.Sockets.SocketException: Connection refused"',
    );
    expect(grpc.exceptions.map((e) => e.frames.length)).toEqual([3, 2]);

    const sql = parsed('sql_timeout_windows.txt');
    expect(sql.exceptions.map((e) => [e.type, e.frames.length])).toEqual([
      ['Microsoft.Data.SqlClient.SqlException', 5],
      ['System.ComponentModel.Win32Exception', 0],
    ]);
    expect(sql.exceptions[0]!.message).not.toContain('ClientConnectionId');
    expect(sql.exceptions[0]!.frames[0]).toMatchObject({
      file: 'D:\\a\\warehouse\\src\\Warehouse.Web\\Controllers\\ShipmentsController.cs',
      line: 36,
    });
    expect(sql.exceptions[0]!.frames[2]).toMatchObject({
      module: 'Dapper.SqlMapper',
      function: 'QueryImpl[T]',
      inApp: false,
    });
  });

  it('parses frames without file information', () => {
    const [ex] = parsed('release_no_pdb.txt').exceptions;
    expect(ex!.message).toBe("Value cannot be null. (Parameter 'source')");
    expect(ex!.frames.every((f) => f.file === undefined && f.line === undefined)).toBe(true);
    expect(ex!.frames.map((f) => dotnet.groupingKey(f))).toEqual([
      'Billing.Worker.InvoiceJob.ExecuteAsync',
      'Billing.Core.InvoiceCalculator.CalculateAsync',
      'Billing.Core.InvoiceCalculator.ApplyDiscounts',
      'System.Linq.Enumerable.Where',
      'System.Linq.ThrowHelper.ThrowArgumentNullException',
    ]);
  });

  it('keeps multi-line messages', () => {
    const [ex] = parsed('xunit_multiline_message.txt').exceptions;
    expect(ex!.type).toBe('Xunit.Sdk.EqualException');
    expect(ex!.message).toBe('Assert.Equal() Failure: Values differ\nExpected: 5\nActual:   4');
    expect(ex!.frames.map((f) => f.inApp)).toEqual([false, true]);
  });

  it('reads file paths that contain spaces and " in "', () => {
    const text = 'System.Exception: x\n   at App.Jobs.Run(Int32 id) in C:\\Work in Progress\\App\\Jobs.cs:line 7\n';
    expect(dotnet.parse(text)!.exceptions[0]!.frames[0]).toEqual({
      module: 'App.Jobs',
      function: 'Run',
      file: 'C:\\Work in Progress\\App\\Jobs.cs',
      line: 7,
      inApp: true,
    });
  });

  it('parses CRLF text the same as LF text', () => {
    const text = fixture('efcore_dbupdate_npgsql.txt');
    expect(dotnet.parse(text.replace(/\n/g, '\r\n'))).toEqual(dotnet.parse(text));
  });
});

describe('dotnet.groupingKey', () => {
  it('folds compiler-generated names', () => {
    expect(key('Ns.Class.<DoWork>d__5', 'MoveNext')).toBe('Ns.Class.DoWork');
    expect(key('Ns.Class', 'DoWork')).toBe('Ns.Class.DoWork');
    expect(key('Ns.Class', '<Main>b__0_0')).toBe('Ns.Class.Main.<lambda>');
    expect(key('Ns.Class.<>c', '<Method>b__3_1')).toBe('Ns.Class.Method.<lambda>');
    expect(key('Ns.Class.<>c__DisplayClass5_0', '<Method>b__0')).toBe('Ns.Class.Method.<lambda>');
    expect(key('Ns.Class', '<Method>g__Local|2_0')).toBe('Ns.Class.Method.Local');
    expect(key('Ns.Class.<>c.<<Main>b__0_0>d', 'MoveNext')).toBe('Ns.Class.Main.<lambda>');
    expect(key('Ns.Outer+<Run>d__2', 'MoveNext')).toBe('Ns.Outer.Run');
    expect(key(undefined, 'lambda_method12')).toBe('lambda_method');
    expect(key('System.Linq.Enumerable', 'First[TSource]')).toBe('System.Linq.Enumerable.First');
    expect(key('System.Collections.Generic.List`1', 'ForEach')).toBe('System.Collections.Generic.List`1.ForEach');
  });

  it('does not change when line numbers, paths or generated numbering shift between builds', () => {
    for (const { name, text } of corpus('dotnet')) {
      const rebuilt = text
        .replace(/:line (\d+)/g, (_m, n: string) => `:line ${Number(n) + 11}`)
        .replace(/ in \/(src|app|build|home)\//g, ' in /opt/build/agent/')
        .replace(/>d__\d+/g, '>d__17')
        .replace(/>b__\d+_\d+/g, '>b__9_4')
        .replace(/>b__\d+\(/g, '>b__6(')
        .replace(/DisplayClass\d+_\d+/g, 'DisplayClass12_3')
        .replace(/\|\d+_\d+\(/g, '|8_2(')
        .replace(/lambda_method\d+/g, 'lambda_method301');
      expect(rebuilt, name).not.toBe(text);
      const before = dotnet.parse(text)!;
      const after = dotnet.parse(rebuilt)!;
      expect(keys(after), name).toEqual(keys(before));
    }
  });

  it('tells different code locations apart', () => {
    const distinct = [
      key('Ns.Class', 'Map'),
      key('Ns.Class.<>c', '<Map>b__3_1'),
      key('Ns.Class', '<Map>g__ParseCells|3_0'),
      key('Ns.Class', '<Map>g__Other|3_1'),
      key('Ns.Class.<Import>d__2', 'MoveNext'),
      key('Ns.Other', 'Map'),
      key('Ns.Class`1', 'Map'),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
  });
});

describe('dotnet.isLibraryFrame', () => {
  const cases: [string | undefined, string, boolean][] = [
    ['System.Linq.Enumerable', 'First', true],
    ['System.Runtime.CompilerServices.TaskAwaiter', 'ThrowForNonSuccess', true],
    ['Microsoft.AspNetCore.Routing.EndpointMiddleware', 'Invoke', true],
    ['Newtonsoft.Json.JsonConvert', 'DeserializeObject', true],
    ['Npgsql.NpgsqlConnector', 'Open', true],
    ['Grpc.Net.Client.Internal.HttpClientCallInvoker', 'BlockingUnaryCall', true],
    ['Polly.Retry.AsyncRetryEngine', 'ImplementationAsync', true],
    ['NUnit.Framework.Assert', 'That', true],
    ['Xunit.Sdk.TestInvoker`1', 'RunAsync', true],
    [undefined, 'lambda_method3', true],
    ['Shop.Api.Services.OrderService', 'Get', false],
    ['Program', '<Main>$', false],
    ['SystemTools.Runner', 'Run', false],
  ];
  for (const [module, fn, expected] of cases) {
    it(`${module ?? '(none)'}.${fn} -> ${expected}`, () => {
      expect(dotnet.isLibraryFrame(module === undefined ? { function: fn } : { module, function: fn })).toBe(expected);
    });
  }
});

describe('dotnet.detect', () => {
  it('scores every .NET trace above every other runtime trace', () => {
    const own = corpus('dotnet');
    const others = otherCorpora('dotnet');
    expect(others.length).toBeGreaterThanOrEqual(10);
    const minOwn = Math.min(...own.map((f) => dotnet.detect(f.text)));
    expect(minOwn).toBeGreaterThanOrEqual(0.8);
    for (const other of others) expect(dotnet.detect(other.text), other.name).toBeLessThan(minOwn);
  });

  it('is 0 for plain text', () => {
    expect(dotnet.detect('')).toBe(0);
    expect(dotnet.detect('payment 42 declined')).toBe(0);
  });
});

describe('dotnet.parse robustness', () => {
  it('returns undefined for Python and JVM traces and for non-traces', () => {
    for (const dir of ['python', 'jvm']) {
      for (const { name, text } of corpus(dir)) expect(dotnet.parse(text), name).toBeUndefined();
    }
    expect(dotnet.parse('')).toBeUndefined();
    expect(dotnet.parse('System.Exception: never thrown, so no frames')).toBeUndefined();
    expect(dotnet.parse('    at Object.<anonymous> (/app/index.js:3:9)')).toBeUndefined();
    expect(dotnet.parse('\tat com.x.Foo.bar(<generated>)')).toBeUndefined();
  });

  it('returns a partial parse for a trace cut mid-line', () => {
    const text = fixture('httpclient_timeout_five_levels.txt');
    const cut = text.slice(0, text.indexOf('System.Net.Http.HttpConnection.SendAsync') + 10);
    const trace = dotnet.parse(cut)!;
    expect(trace.exceptions).toHaveLength(5);
    expect(trace.exceptions.map((e) => e.frames.length)).toEqual([0, 0, 0, 2, 0]);
  });

  it('never throws on any truncation of any fixture', () => {
    for (const { name, text } of corpus('dotnet')) {
      for (let end = 0; end < text.length; end += 31) {
        const trace = dotnet.parse(text.slice(0, end));
        if (trace !== undefined) expect(trace.exceptions.length, name).toBeGreaterThan(0);
      }
    }
  });

  it('handles megabyte-sized garbage in linear time', () => {
    const mb = 1_000_000;
    const inputs = [
      'x'.repeat(mb),
      '\n'.repeat(mb),
      `System.X: ${'a'.repeat(mb)}`,
      `   at ${' in :line '.repeat(mb / 10)}`,
      `   at ${'<'.repeat(mb)}()`,
      `System.X: y${' ---> '.repeat(mb / 6)}`,
      `System.X${'.a'.repeat(mb / 2)}`,
      'a: b\n'.repeat(mb / 5),
      `System.X: y\n${' ---> System.Y: z\n'.repeat(mb / 18)}   at A.B()\n`,
      `System.X: y\n${'   at A.B.C(Int32 x) in /a/b.cs:line 1\n'.repeat(mb / 40)}`,
      Array.from({ length: mb / 8 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90)).repeat(7)).join('\n'),
    ];
    for (const input of inputs) {
      const started = performance.now();
      const trace = dotnet.parse(input);
      expect(performance.now() - started).toBeLessThan(1500);
      if (trace !== undefined) {
        for (const ex of trace.exceptions) expect(ex.message.length).toBeLessThanOrEqual(8192);
      }
    }
    expect(dotnet.parse(inputs[9]!)!.exceptions[0]!.frames).toHaveLength(25_000);
  });
});
