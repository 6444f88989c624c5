/** @module Tests for JVM (Java/Kotlin/Scala) stack-trace parsing, grouping keys and detection against the fixture corpus. */
import { describe, expect, it } from 'vitest';
import {
  corpus,
  fixtureText,
  groupingKeys,
  otherCorpora,
  parseOrThrow,
} from '../../../test/helpers/stacktrace-corpus.js';
import { jvm } from './jvm.js';
import type { ParsedTrace, RawFrame } from './types.js';

const fixture = (name: string): string => fixtureText('jvm', name);
const parsed = (name: string): ParsedTrace => parseOrThrow(jvm, fixture(name), name);
const keys = (trace: ParsedTrace): string[] => trace.exceptions.flatMap((e) => groupingKeys(jvm, e.frames));

const key = (module: string, fn: string): string => jvm.groupingKey({ module, function: fn });

describe('jvm.parse on the corpus', () => {
  it('parses every fixture', () => {
    const files = corpus('jvm');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const { name, text } of files) {
      const trace = jvm.parse(text);
      expect(trace, name).toBeDefined();
      expect(trace!.language).toBe('java');
      expect(trace!.exceptions[0]!.type, name).toMatch(/^[\w$.]+$/);
      expect(trace!.exceptions[0]!.frames.length, name).toBeGreaterThan(0);
    }
  });

  it('reads `Exception in thread` and reverses frames to outermost first', () => {
    const trace = parsed('main_thread_npe.txt');
    expect(trace.exceptions).toHaveLength(1);
    const [ex] = trace.exceptions;
    expect(ex!.type).toBe('java.lang.NullPointerException');
    expect(ex!.message).toBe('Cannot invoke "String.length()" because "name" is null');
    expect(ex!.frames).toEqual([
      { module: 'com.acme.billing.cli.Main', function: 'main', file: 'Main.java', line: 17, inApp: true },
      {
        module: 'com.acme.billing.InvoiceFormatter',
        function: 'format',
        file: 'InvoiceFormatter.java',
        line: 31,
        inApp: true,
      },
      {
        module: 'com.acme.billing.InvoiceFormatter',
        function: 'padName',
        file: 'InvoiceFormatter.java',
        line: 48,
        inApp: true,
      },
    ]);
  });

  it('follows Caused by chains, keeps multi-line messages and ignores `... N more`', () => {
    const trace = parsed('spring_hibernate_caused_by.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'org.springframework.dao.DataIntegrityViolationException',
      'org.hibernate.exception.ConstraintViolationException',
      'org.postgresql.util.PSQLException',
    ]);
    expect(trace.exceptions.map((e) => e.frames.length)).toEqual([15, 3, 4]);
    expect(trace.exceptions[2]!.message).toBe(
      'ERROR: duplicate key value violates unique constraint "users_email_key"\n  Detail: Key (email)=(ana@example.com) already exists.',
    );
    const top = trace.exceptions[0]!.frames;
    expect(top[0]).toEqual({
      module: 'java.lang.Thread',
      function: 'run',
      file: 'Thread.java',
      line: 1583,
      inApp: false,
    });
    const proxy = top.find((f) => f.function === 'save')!;
    expect(proxy).toEqual({ module: 'jdk.proxy2.$Proxy145', function: 'save', inApp: false });
    const cglib = top.find((f) => f.module?.includes('SpringCGLIB'))!;
    expect(cglib).toEqual({
      module: 'com.acme.accounts.service.UserService$$SpringCGLIB$$0',
      function: 'register',
      inApp: false,
    });
    expect(top.filter((f) => f.inApp).map((f) => `${f.module}.${f.function}:${f.line}`)).toEqual([
      'com.acme.accounts.web.UserController.create:39',
      'com.acme.accounts.service.UserService.register:64',
    ]);
    expect(trace.exceptions[2]!.frames[1]).toEqual({
      module: 'com.zaxxer.hikari.pool.HikariProxyPreparedStatement',
      function: 'executeUpdate',
      file: 'HikariProxyPreparedStatement.java',
      inApp: false,
    });
  });

  it('skips Suppressed blocks with their frames and nested causes', () => {
    const trace = parsed('suppressed_try_with_resources.txt');
    expect(trace.exceptions.map((e) => [e.type, e.message])).toEqual([
      ['java.io.UncheckedIOException', 'failed to export report 2024-03'],
      ['java.io.IOException', 'No space left on device'],
    ]);
    expect(trace.exceptions[0]!.frames).toHaveLength(7);
    expect(trace.exceptions[1]!.frames.map((f) => f.function)).toEqual(['export', 'write', 'write', 'write0']);
    expect(trace.exceptions[1]!.frames[3]).toEqual({
      module: 'sun.nio.ch.FileDispatcherImpl',
      function: 'write0',
      inApp: false,
    });
    const all = trace.exceptions.flatMap((e) => e.frames.map((f) => `${f.module}.${f.function}`));
    expect(all).not.toContain('com.acme.reports.io.AtomicFileWriter.close');
    expect(all).not.toContain('com.acme.reports.io.FileLock.release');
    expect(all).not.toContain('sun.nio.fs.UnixException.translateToIOException');
  });

  it('handles space-indented Suppressed blocks too', () => {
    const text = fixture('suppressed_try_with_resources.txt').replace(/\t/g, '    ');
    const trace = jvm.parse(text)!;
    expect(trace.exceptions.map((e) => e.frames.length)).toEqual([7, 4]);
  });

  it('parses Kotlin coroutine frames and marks coroutine machinery as library code', () => {
    const trace = parsed('kotlin_coroutines.txt');
    expect(trace.exceptions).toHaveLength(2);
    const frames = trace.exceptions[0]!.frames;
    expect(frames).toHaveLength(11);
    expect(frames.at(-1)).toEqual({
      module: 'com.acme.shipping.rates.CarrierRegistry',
      function: 'lookup',
      file: 'CarrierRegistry.kt',
      line: 42,
      inApp: true,
    });
    expect(frames.at(-2)).toMatchObject({
      module: 'com.acme.shipping.rates.RateService$quote$2',
      function: 'invokeSuspend',
      inApp: true,
    });
    expect(frames.find((f) => f.module === '_COROUTINE._BOUNDARY')?.inApp).toBe(false);
    expect(frames.find((f) => f.module === 'kotlinx.coroutines.DispatchedTask')?.inApp).toBe(false);
    expect(jvm.groupingKey(frames.at(-2)!)).toBe('com.acme.shipping.rates.RateService$quote$<anon>.invokeSuspend');
  });

  it('parses Scala objects and anonfun methods', () => {
    const [ex] = parsed('scala_match_error.txt').exceptions;
    expect(ex!.type).toBe('scala.MatchError');
    expect(ex!.message).toBe('Pending(42) (of class com.acme.ledger.model.Pending)');
    const appKeys = ex!.frames.filter((f) => f.inApp).map((f) => jvm.groupingKey(f));
    expect(appKeys).toEqual([
      'com.acme.ledger.Main$.$anonfun$run$adapted',
      'com.acme.ledger.Main$.$anonfun$run',
      'com.acme.ledger.Batch$.apply',
      'com.acme.ledger.SettlementActor$$anonfun$receive$<anon>.applyOrElse',
      'com.acme.ledger.Settlement$.settle',
      'com.acme.ledger.Settlement$.$anonfun$settle',
    ]);
    expect(ex!.frames.find((f) => f.module === 'akka.actor.ActorCell')?.inApp).toBe(false);
  });

  it('drops module and class-loader prefixes and reads Unknown Source / Native Method', () => {
    const trace = parsed('netty_decoder_module_prefixes.txt');
    expect(trace.exceptions[0]!.frames[0]).toEqual({ module: 'java.lang.Thread', function: 'run', inApp: false });
    const cause = trace.exceptions[1]!;
    expect(cause.type).toBe('com.acme.gateway.proto.FrameTooLargeException');
    expect(cause.frames.slice(-2)).toEqual([
      {
        module: 'com.acme.gateway.proto.LengthPrefixedDecoder$1',
        function: 'check',
        file: 'LengthPrefixedDecoder.java',
        line: 70,
        inApp: true,
      },
      {
        module: 'com.acme.gateway.proto.LengthPrefixedDecoder',
        function: 'decode',
        file: 'LengthPrefixedDecoder.java',
        line: 38,
        inApp: true,
      },
    ]);
  });

  it('parses lambda hidden classes, anonymous and inner classes', () => {
    const [ex] = parsed('lambdas_anonymous_inner.txt').exceptions;
    expect(ex!.frames).toHaveLength(11);
    const byModule = (m: string): RawFrame => ex!.frames.find((f) => f.module === m)!;
    expect(byModule('com.acme.orders.OrderValidator$$Lambda$412/0x0000000800c0b000')).toMatchObject({
      function: 'accept',
      inApp: false,
    });
    expect(byModule('com.acme.orders.OrderPipeline$$Lambda/0x000001f0b8054a38')).toMatchObject({ function: 'apply' });
    expect(ex!.frames.at(-1)).toMatchObject({
      module: 'com.acme.orders.OrderValidator',
      function: 'lambda$validate$0',
      line: 44,
      inApp: true,
    });
    expect(keys({ language: 'java', exceptions: [ex!] })).toEqual([
      'java.lang.Thread.run',
      'com.acme.orders.OrderPipeline$<anon>.run',
      'com.acme.orders.OrderPipeline$Stage.run',
      'java.util.stream.AbstractPipeline.copyInto',
      'java.util.stream.ReferencePipeline$<anon>$<anon>.accept',
      'com.acme.orders.OrderPipeline$$Lambda.apply',
      'com.acme.orders.OrderPipeline.lambda$process',
      'com.acme.orders.OrderValidator.validate',
      'java.util.ArrayList.forEach',
      'com.acme.orders.OrderValidator$$Lambda.accept',
      'com.acme.orders.OrderValidator.lambda$validate',
    ]);
  });

  it('skips a leading log line and logback packaging suffixes', () => {
    const trace = parsed('logback_packaging_suffix.txt');
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'org.springframework.web.client.ResourceAccessException',
      'java.net.ConnectException',
    ]);
    expect(trace.exceptions[0]!.message).toBe(
      'I/O error on GET request for "http://pricing:8080/v2/prices": Connection refused',
    );
    expect(trace.exceptions[0]!.frames[2]).toEqual({
      module: 'com.acme.catalog.pricing.PricingClient',
      function: 'fetch',
      file: 'PricingClient.java',
      line: 33,
      inApp: true,
    });
    expect(trace.exceptions[1]!.frames).toHaveLength(3);
  });

  it('parses Hibernate/ByteBuddy/CGLIB/reflection proxies as library frames', () => {
    const [ex] = parsed('hibernate_proxies_bytebuddy.txt').exceptions;
    expect(ex!.frames.filter((f) => f.inApp).map((f) => jvm.groupingKey(f))).toEqual([
      'com.acme.crm.web.AccountController.summary',
      'com.acme.crm.service.AccountReport.ownerName',
    ]);
    expect(ex!.frames.filter((f) => !f.inApp).map((f) => jvm.groupingKey(f))).toEqual([
      'java.lang.Thread.run',
      'com.sun.proxy.$Proxy.summary',
      'jdk.internal.reflect.GeneratedMethodAccessor.invoke',
      'com.acme.crm.service.AccountService$$EnhancerBySpringCGLIB.summary',
      'com.acme.crm.service.AccountReport$ByteBuddy.ownerName',
      'com.acme.crm.domain.Account$HibernateProxy.getOwner',
      'org.hibernate.proxy.pojo.bytebuddy.ByteBuddyInterceptor.intercept',
      'org.hibernate.proxy.AbstractLazyInitializer.initialize',
    ]);
  });

  it('accepts an exception without a message, a cause without frames and R8 SourceFile', () => {
    expect(parsed('stackoverflow_no_message.txt').exceptions[0]).toMatchObject({
      type: 'java.lang.StackOverflowError',
      message: '',
    });
    const grpc = parsed('grpc_netty_causes.txt');
    expect(grpc.exceptions.map((e) => [e.type, e.frames.length])).toEqual([
      ['io.grpc.StatusRuntimeException', 6],
      ['io.netty.channel.AbstractChannel$AnnotatedConnectException', 0],
      ['java.net.ConnectException', 5],
    ]);
    expect(grpc.exceptions[0]!.message).toBe('UNAVAILABLE: io exception');
    const r8 = parsed('multiline_message_r8.txt').exceptions[0]!;
    expect(r8.message).toBe('index "products-v7" is unavailable:\nshard 2 is relocating\nshard 5 has no primary');
    expect(r8.frames[0]).toEqual({
      module: 'com.acme.search.r8.a',
      function: 'b',
      file: 'SourceFile',
      line: 12,
      inApp: true,
    });
  });

  it('marks test-framework frames as library and the test method as app code', () => {
    const [ex] = parsed('junit_assertion.txt').exceptions;
    expect(ex!.type).toBe('org.opentest4j.AssertionFailedError');
    expect(ex!.frames.filter((f) => f.inApp).map((f) => f.function)).toEqual(['reopensAfterReply']);
  });

  it("reverses logback's root-cause-first (`Wrapped by:`) rendering", () => {
    const text = [
      'java.net.SocketTimeoutException: Read timed out',
      '\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)',
      '\tat com.acme.pay.Client.call(Client.java:20)',
      'Wrapped by: com.acme.pay.GatewayException: charge failed',
      '\tat com.acme.pay.Client.call(Client.java:25)',
      '\tat com.acme.pay.Service.charge(Service.java:9)',
    ].join('\n');
    const trace = jvm.parse(text)!;
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'com.acme.pay.GatewayException',
      'java.net.SocketTimeoutException',
    ]);
    expect(trace.exceptions[0]!.frames.map((f) => f.line)).toEqual([9, 25]);
  });

  it('stops at the end of the first trace', () => {
    const text = `${fixture('main_thread_npe.txt')}2024-03-12 10:15:03 INFO next request\n${fixture('stackoverflow_no_message.txt')}`;
    const trace = jvm.parse(text)!;
    expect(trace.exceptions).toHaveLength(1);
    expect(trace.exceptions[0]!.type).toBe('java.lang.NullPointerException');
    expect(trace.exceptions[0]!.frames).toHaveLength(3);
  });

  it('parses CRLF text the same as LF text', () => {
    const text = fixture('spring_hibernate_caused_by.txt');
    expect(jvm.parse(text.replace(/\n/g, '\r\n'))).toEqual(jvm.parse(text));
  });
});

describe('jvm.groupingKey', () => {
  it('removes generated numbering and hashes', () => {
    expect(key('com.x.Foo', 'lambda$process$0')).toBe('com.x.Foo.lambda$process');
    expect(key('com.x.Foo$$Lambda$123/0x0000000800c0b000', 'apply')).toBe('com.x.Foo$$Lambda.apply');
    expect(key('com.x.Foo$$Lambda/0x000001f0b8054a38', 'apply')).toBe('com.x.Foo$$Lambda.apply');
    expect(key('com.x.Foo$$Lambda$7/1349414238', 'run')).toBe('com.x.Foo$$Lambda.run');
    expect(key('jdk.proxy2.$Proxy45', 'save')).toBe('jdk.proxy.$Proxy.save');
    expect(key('com.sun.proxy.$Proxy12', 'x')).toBe('com.sun.proxy.$Proxy.x');
    expect(key('com.x.Foo$$EnhancerBySpringCGLIB$$1a2b3c', 'method')).toBe('com.x.Foo$$EnhancerBySpringCGLIB.method');
    expect(key('com.x.Foo$$SpringCGLIB$$0', 'method')).toBe('com.x.Foo$$SpringCGLIB.method');
    expect(key('com.x.Foo$$FastClassBySpringCGLIB$$9f8e7d', 'invoke')).toBe('com.x.Foo$$FastClassBySpringCGLIB.invoke');
    expect(key('com.x.Foo$ByteBuddy$abc123', 'm')).toBe('com.x.Foo$ByteBuddy.m');
    expect(key('com.x.Foo$1', 'run')).toBe('com.x.Foo$<anon>.run');
    expect(key('com.x.Foo$Inner', 'run')).toBe('com.x.Foo$Inner.run');
    expect(key('com.x.Foo$bar$1', 'invokeSuspend')).toBe('com.x.Foo$bar$<anon>.invokeSuspend');
    expect(key('com.x.Foo$', 'apply')).toBe('com.x.Foo$.apply');
    expect(key('com.x.Foo', '$anonfun$run$2')).toBe('com.x.Foo.$anonfun$run');
    expect(key('com.x.Foo', 'anonfun$foo$1')).toBe('com.x.Foo.anonfun$foo');
    expect(key('jdk.internal.reflect.GeneratedMethodAccessor87', 'invoke')).toBe(
      'jdk.internal.reflect.GeneratedMethodAccessor.invoke',
    );
  });

  it('does not change when line numbers or generated numbering shift between builds', () => {
    for (const { name, text } of corpus('jvm')) {
      const rebuilt = text
        .replace(/\.(java|kt|scala):(\d+)\)/g, (_m, ext: string, n: string) => `.${ext}:${Number(n) + 5})`)
        .replace(/lambda\$(\w+)\$\d+/g, 'lambda$$$1$$7')
        .replace(/\$\$Lambda\$\d+\/0x[0-9a-f]+/g, '$$$$Lambda$$977/0x0000000801d2e000')
        .replace(/\$\$Lambda\/0x[0-9a-f]+/g, '$$$$Lambda/0x00007f00aa001234')
        .replace(/\$Proxy\d+/g, '$$Proxy3')
        .replace(/jdk\.proxy\d/g, 'jdk.proxy7')
        .replace(/SpringCGLIB\$\$\w+/g, 'SpringCGLIB$$$$4d4d4d')
        .replace(/\$(ByteBuddy|HibernateProxy)\$\w+/g, '$$$1$$Xy12')
        .replace(/GeneratedMethodAccessor\d+/g, 'GeneratedMethodAccessor5')
        .replace(/(\$anonfun\$\w+?)\$\d+/g, '$1$$9')
        .replace(/(\w)\$(\d)([.$])/g, (_m, a: string, d: string, b: string) => `${a}$${Number(d) + 1}${b}`);
      expect(rebuilt, name).not.toBe(text);
      const before = jvm.parse(text)!;
      const after = jvm.parse(rebuilt)!;
      expect(keys(after), name).toEqual(keys(before));
    }
  });

  it('tells different code locations apart', () => {
    const distinct = [
      key('com.x.Foo', 'validate'),
      key('com.x.Foo', 'lambda$validate$0'),
      key('com.x.Foo$1', 'run'),
      key('com.x.Foo$Inner', 'run'),
      key('com.x.Foo$$Lambda$1/0x1', 'run'),
      key('com.x.Bar', 'validate'),
      key('com.y.Foo', 'validate'),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
  });
});

describe('jvm.isLibraryFrame', () => {
  const cases: [string, boolean][] = [
    ['java.util.ArrayList', true],
    ['javax.servlet.http.HttpServlet', true],
    ['jdk.internal.reflect.DirectMethodHandleAccessor', true],
    ['sun.nio.ch.Net', true],
    ['com.sun.proxy.$Proxy12', true],
    ['kotlinx.coroutines.DispatchedTask', true],
    ['scala.collection.immutable.List', true],
    ['org.springframework.web.servlet.DispatcherServlet', true],
    ['org.apache.catalina.core.StandardWrapperValve', true],
    ['org.hibernate.internal.SessionImpl', true],
    ['io.netty.channel.nio.NioEventLoop', true],
    ['com.fasterxml.jackson.databind.ObjectMapper', true],
    ['reactor.core.publisher.Mono', true],
    ['io.grpc.stub.ClientCalls', true],
    ['okhttp3.RealCall', true],
    ['com.google.common.base.Preconditions', true],
    ['org.junit.jupiter.api.Assertions', true],
    ['org.eclipse.jetty.server.Server', true],
    ['io.micrometer.observation.Observation', true],
    ['com.acme.Foo$$Lambda$1/0x0000000800c0b000', true],
    ['com.acme.Foo$$EnhancerBySpringCGLIB$$1a2b', true],
    ['com.acme.Foo$HibernateProxy$x1', true],
    ['com.acme.orders.OrderService', false],
    ['com.acme.orders.OrderService$1', false],
    ['com.googlex.Thing', false],
    ['javalin.Context', false],
  ];
  for (const [module, expected] of cases) {
    it(`${module} -> ${expected}`, () => {
      expect(jvm.isLibraryFrame({ module, function: 'f' })).toBe(expected);
    });
  }
});

describe('jvm.detect', () => {
  it('scores every JVM trace above every other runtime trace', () => {
    const own = corpus('jvm');
    const others = otherCorpora('jvm');
    expect(others.length).toBeGreaterThanOrEqual(10);
    const minOwn = Math.min(...own.map((f) => jvm.detect(f.text)));
    expect(minOwn).toBeGreaterThanOrEqual(0.8);
    for (const other of others) expect(jvm.detect(other.text), other.name).toBeLessThan(minOwn);
  });

  it('is 0 for plain text and bounded on huge input', () => {
    expect(jvm.detect('')).toBe(0);
    expect(jvm.detect('order 42 not found')).toBe(0);
    const started = performance.now();
    expect(jvm.detect('\tat '.repeat(1_000_000))).toBe(0);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('jvm.parse robustness', () => {
  it('returns undefined for Python and .NET traces and for non-traces', () => {
    for (const dir of ['python', 'dotnet']) {
      for (const { name, text } of corpus(dir)) expect(jvm.parse(text), name).toBeUndefined();
    }
    expect(jvm.parse('')).toBeUndefined();
    expect(jvm.parse('java.lang.IllegalStateException: no frames')).toBeUndefined();
    expect(jvm.parse('    at handler (/app/server.js:10:5)')).toBeUndefined();
  });

  it('returns a partial parse for a trace cut mid-line', () => {
    const text = fixture('spring_hibernate_caused_by.txt');
    const cut = text.slice(0, text.indexOf('Caused by: org.postgresql') + 60);
    const trace = jvm.parse(cut)!;
    expect(trace.exceptions.map((e) => e.type)).toEqual([
      'org.springframework.dao.DataIntegrityViolationException',
      'org.hibernate.exception.ConstraintViolationException',
      'org.postgresql.util.PSQLException',
    ]);
    expect(trace.exceptions[2]!.frames).toHaveLength(0);
    const noHeader = jvm.parse(text.slice(text.indexOf('\tat ')))!;
    expect(noHeader.exceptions[0]!.type).toBe('');
    expect(noHeader.exceptions[0]!.frames).toHaveLength(15);
  });

  it('never throws on any truncation of any fixture', () => {
    for (const { name, text } of corpus('jvm')) {
      for (let end = 0; end < text.length; end += 29) {
        const trace = jvm.parse(text.slice(0, end));
        if (trace !== undefined) expect(trace.exceptions.length, name).toBeGreaterThan(0);
      }
    }
  });

  it('handles megabyte-sized garbage in linear time', () => {
    const mb = 1_000_000;
    const inputs = [
      'x'.repeat(mb),
      '\n'.repeat(mb),
      `java.lang.IllegalStateException: ${'a'.repeat(mb)}`,
      `\tat ${'a.'.repeat(mb / 2)}(`,
      `\tat com.x.Foo.bar(${'Foo.java:1'.repeat(mb / 10)})`,
      'a.'.repeat(mb / 2),
      '$'.repeat(mb),
      `java.lang.X: y\n${'continued message line\n'.repeat(mb / 23)}`,
      `java.lang.X: y\n${'\tat com.x.Foo.bar(Foo.java:12)\n'.repeat(mb / 32)}`,
      `java.lang.X: y\n\tat a.B.c(B.java:1)\n${'\tSuppressed: a.B: c\n'.repeat(mb / 20)}`,
      Array.from({ length: mb / 8 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90)).repeat(7)).join('\n'),
    ];
    for (const input of inputs) {
      const started = performance.now();
      const trace = jvm.parse(input);
      expect(performance.now() - started).toBeLessThan(1500);
      if (trace !== undefined) {
        for (const ex of trace.exceptions) expect(ex.message.length).toBeLessThanOrEqual(8192);
      }
    }
    expect(jvm.parse(inputs[8]!)!.exceptions[0]!.frames).toHaveLength(31_250);
  });
});
