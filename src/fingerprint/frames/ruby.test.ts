/** @module Tests for Ruby backtrace parsing, grouping keys and detection against the fixture corpus. */
import { describe, expect, it } from 'vitest';
import {
  corpus,
  fixtureText,
  groupingKeys,
  otherCorpora,
  parseOrThrow,
} from '../../../test/helpers/stacktrace-corpus.js';
import { ruby } from './ruby.js';
import type { ParsedException, ParsedTrace } from './types.js';

const fixture = (name: string): string => fixtureText('ruby', name);
const parsed = (text: string): ParsedTrace => parseOrThrow(ruby, text);
const top = (name: string): ParsedException => parsed(fixture(name)).exceptions[0]!;
const keys = (e: ParsedException): string[] => groupingKeys(ruby, e.frames);

describe('ruby.parse', () => {
  it('parses every fixture with at least one frame', () => {
    const files = corpus('ruby');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const { name, text } of files) {
      const p = ruby.parse(text);
      expect(p, name).toBeDefined();
      expect(p?.language).toBe('ruby');
      expect(p?.exceptions[0]?.frames.length, name).toBeGreaterThan(0);
    }
  });

  it('reads full_message output: the header line is the innermost frame', () => {
    const e = top('rails-record-not-found.txt');
    expect(e.type).toBe('ActiveRecord::RecordNotFound');
    expect(e.message).toBe("Couldn't find User with 'id'=1");
    expect(e.frames).toHaveLength(9);
    expect(e.frames.at(-1)).toEqual({
      module: 'models/user',
      function: 'find_user',
      file: '/app/app/models/user.rb',
      line: 42,
      inApp: true,
    });
    expect(e.frames.at(-2)).toMatchObject({ module: 'controllers/users_controller', function: 'show', line: 10 });
    expect(e.frames[0]).toMatchObject({ module: 'puma/thread_pool', function: 'block in spawn_thread', inApp: false });
    expect(e.frames.filter((f) => f.inApp).map((f) => f.function)).toEqual([
      'block (2 levels) in with_tenant',
      'show',
      'find_user',
    ]);
  });

  it('reads Ruby 3.4 quoting and class-qualified labels, <internal:> and stdlib frames', () => {
    const e = top('ruby34-quotes.txt');
    expect(e.type).toBe('ActiveRecord::RecordNotFound');
    expect(e.frames.at(-1)).toMatchObject({ function: 'User.find_user', module: 'models/user', line: 45 });
    expect(e.frames.at(-2)).toMatchObject({ function: 'UsersController#show' });
    expect(e.frames.find((f) => f.file === '<internal:kernel>')).toEqual({
      module: '<internal:kernel>',
      function: 'Kernel#loop',
      file: '<internal:kernel>',
      line: 187,
      inApp: false,
    });
    expect(e.frames[0]).toMatchObject({ module: 'monitor', function: 'Monitor#synchronize', inApp: false });
  });

  it('reads a Rails log header and its cleaned backtrace without `from`', () => {
    const e = top('rails-log-backtrace.txt');
    expect(e.type).toBe('ActiveRecord::RecordNotFound');
    expect(e.message).toBe(`Couldn't find Invoice with 'id'=9000 [WHERE "invoices"."account_id" = $1]`);
    expect(e.frames.map((f) => [f.module, f.function, f.line])).toEqual([
      ['controllers/application_controller', 'switch_locale', 21],
      ['controllers/application_controller', 'block in switch_locale', 22],
      ['controllers/invoices_controller', 'show', 8],
      ['models/invoice', 'for_account!', 31],
    ]);
    expect(e.frames.every((f) => f.inApp)).toBe(true);
  });

  it('reads a Sidekiq `Class: message` header with bare frames, gems and stdlib', () => {
    const e = top('sidekiq-read-timeout.txt');
    expect(e.type).toBe('Net::ReadTimeout');
    expect(e.message).toBe('Net::ReadTimeout with #<TCPSocket:(closed)>');
    expect(e.frames.at(-1)).toMatchObject({ module: 'net/protocol', function: 'rbuf_fill', inApp: false });
    expect(e.frames.filter((f) => f.inApp).map((f) => f.module)).toEqual(['jobs/crm_sync_job', 'clients/crm_client']);
    expect(e.frames.find((f) => f.file?.includes('faraday-net_http'))?.module).toBe('faraday/adapter/net_http');
  });

  it('reads cause sections in order, keeping `rescue in`', () => {
    const p = parsed(fixture('cause-chain.txt'));
    expect(p.exceptions.map((e) => [e.type, e.message, e.frames.length])).toEqual([
      ['Checkout::PaymentError', 'payment failed for order 88', 4],
      ['Stripe::CardError', 'card_declined', 3],
      ['Stripe::StripeError', 'Your card was declined.', 2],
    ]);
    expect(p.exceptions[0]?.frames.at(-1)).toMatchObject({ function: 'rescue in charge!', line: 27 });
    expect(ruby.groupingKey(p.exceptions[0]!.frames.at(-1)!)).toBe('services/checkout:rescue in charge!');
    expect(p.exceptions[2]?.frames.at(-1)).toMatchObject({ module: 'stripe/stripe_client', inApp: false });
  });

  it('reads <top (required)>, <main> and block levels in scripts', () => {
    const e = top('script-top-level.txt');
    expect(e.type).toBe('NoMethodError');
    expect(e.message).toBe("undefined method `strip' for nil:NilClass");
    expect(e.frames[0]).toMatchObject({ function: '<main>', file: '/srv/tools/bin/import', line: 4, module: 'import' });
    expect(e.frames.at(-1)?.function).toBe('block (3 levels) in <top (required)>');
    expect(keys(e).at(-1)).toBe('importer/csv_reader:block in <top (required)>');
    expect(keys(e)[2]).toBe('importer:<top (required)>');
  });

  it('keeps the continuation lines of a multi-line message', () => {
    const e = top('multiline-message.txt');
    expect(e.type).toBe('ActiveRecord::StatementInvalid');
    expect(e.message.split('\n')).toHaveLength(3);
    expect(
      e.message.startsWith('PG::UndefinedTable: ERROR:  relation "report_rows_2024" does not exist\nLINE 1:'),
    ).toBe(true);
    expect(e.frames).toHaveLength(4);
    expect(e.frames.at(-2)).toMatchObject({ module: 'active_record/connection_adapters/postgresql_adapter' });
  });

  it('reads the Ruby 2.x `Traceback (most recent call last)` order', () => {
    const e = top('traceback-bottom.txt');
    expect(e.type).toBe('ArgumentError');
    expect(e.message).toBe('missing --output');
    expect(e.frames.map((f) => f.function)).toEqual(['<main>', 'run', 'dispatch', 'call']);
    expect(e.frames.at(-1)).toMatchObject({ module: 'shop/commands/export', line: 11, inApp: true });
    expect(e.frames[0]).toMatchObject({ file: 'bin/console', line: 8 });
  });

  it('reads a Rails `Caused by:` section and unlabelled template frames', () => {
    const p = parsed(fixture('rails-caused-by.txt'));
    expect(p.exceptions.map((e) => e.type)).toEqual(['ActionView::Template::Error', 'NameError']);
    expect(p.exceptions[0]?.message).not.toContain('<%=');
    expect(p.exceptions[0]?.frames.at(-1)).toEqual({
      module: 'views/accounts/show.html.erb',
      file: 'app/views/accounts/show.html.erb',
      line: 12,
      inApp: true,
    });
    expect(p.exceptions[1]?.frames).toHaveLength(1);
  });

  it('returns undefined for text that is not a Ruby trace', () => {
    expect(ruby.parse('')).toBeUndefined();
    expect(ruby.parse('RuntimeError: boom')).toBeUndefined();
    expect(ruby.parse('ActiveRecord::RecordNotFound (nope):\n\nCompleted 404 Not Found in 3ms')).toBeUndefined();
    for (const other of ['node', 'go', 'php']) {
      for (const { name, text } of corpus(other)) expect(ruby.parse(text), name).toBeUndefined();
    }
  });
});

describe('ruby.groupingKey', () => {
  it('is stable across releases, line shifts and the Ruby 3.4 label change', () => {
    const a = top('cause-chain.txt');
    const b = top('capistrano-release.txt');
    expect(a.frames.map((f) => f.line)).not.toEqual(b.frames.map((f) => f.line));
    expect(keys(b)).toEqual(keys(a));
    const old = top('rails-record-not-found.txt');
    const r34 = top('ruby34-quotes.txt');
    expect(ruby.groupingKey(r34.frames.at(-1)!)).toBe(ruby.groupingKey(old.frames.at(-1)!));
    expect(ruby.groupingKey(r34.frames.at(-2)!)).toBe(ruby.groupingKey(old.frames.at(-2)!));
    expect(ruby.groupingKey(r34.frames.at(-3)!)).toBe('controllers/concerns/tenant_scoped:block in with_tenant');
  });

  it('drops gem versions and object addresses', () => {
    const k = (file: string, fn: string) => ruby.groupingKey({ file, function: fn });
    expect(k('/usr/local/bundle/gems/rack-3.0.8/lib/rack/sendfile.rb', 'call')).toBe(
      k('/home/u/.gem/ruby/3.3.0/gems/rack-3.1.0/lib/rack/sendfile.rb', 'call'),
    );
    expect(k('/usr/local/bundle/bundler/gems/rails-8b3f2a1c9d0e/railties/exe/rails', 'x')).toBe(
      k('/usr/local/bundle/bundler/gems/rails-0a1b2c3d4e5f/railties/exe/rails', 'x'),
    );
    expect(k('/app/app/x.rb', 'block in #<Class:0x00007f3b1c2a4e18>.call')).toBe(
      k('/app/app/x.rb', 'block in #<Class:0x000055d0e1f2a3b4>.call'),
    );
  });

  it('gives different code locations different keys', () => {
    const k = (file: string, fn: string) => ruby.groupingKey({ file, function: fn });
    const all = [
      k('/app/app/services/checkout.rb', 'charge!'),
      k('/app/app/services/checkout.rb', 'rescue in charge!'),
      k('/app/app/services/checkout.rb', 'block in charge!'),
      k('/app/app/services/refund.rb', 'charge!'),
      k('/app/app/jobs/checkout.rb', 'charge!'),
    ];
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('ruby.isLibraryFrame', () => {
  it('classifies gems, stdlib and internals as library', () => {
    expect(ruby.isLibraryFrame({ file: '/usr/local/bundle/gems/rack-3.0.8/lib/rack/sendfile.rb' })).toBe(true);
    expect(ruby.isLibraryFrame({ file: '/home/u/.rbenv/versions/3.2.2/lib/ruby/3.2.0/json/common.rb' })).toBe(true);
    expect(ruby.isLibraryFrame({ file: '/app/vendor/bundle/ruby/3.2.0/gems/pg-1.5.4/lib/pg.rb' })).toBe(true);
    expect(ruby.isLibraryFrame({ file: '<internal:kernel>' })).toBe(true);
    expect(ruby.isLibraryFrame({ file: 'app/models/user.rb' })).toBe(false);
    expect(ruby.isLibraryFrame({ file: '/app/lib/tasks/import.rake' })).toBe(false);
  });
});

describe('ruby.detect', () => {
  it('scores its own corpus above every other runtime corpus', () => {
    const own = corpus('ruby').map(({ text }) => ruby.detect(text));
    const others = otherCorpora('ruby').map(({ name, text }) => ({ name, score: ruby.detect(text) }));
    expect(Math.min(...own)).toBeGreaterThanOrEqual(0.7);
    for (const o of others) expect(o.score, o.name).toBeLessThan(Math.min(...own));
    for (const o of others) expect(o.score, o.name).toBeLessThanOrEqual(0.3);
  });

  it('is 0 for prose', () => {
    expect(ruby.detect('see config.rb: line 4')).toBe(0);
    expect(ruby.detect('')).toBe(0);
  });
});

describe('ruby robustness', () => {
  it('never throws on garbage, truncated or huge input and stays fast', () => {
    const good = fixture('cause-chain.txt');
    const inputs = [
      "\u0000\uffff x.rb:1:in `\n:in ': ( (A) ):",
      good.slice(0, 120),
      good.slice(0, good.length / 2),
      `a.rb:1:in '${"': ".repeat(200_000)}`,
      `${"\tfrom /a.rb:1:in `f'\n".repeat(60_000)}`,
      'x'.repeat(1_000_000),
      `${'A::B (c):\n'.repeat(100_000)}`,
      `Traceback (most recent call last):\n${"\t1: from a.rb:1:in `f'\n".repeat(60_000)}`,
    ];
    const start = performance.now();
    for (const input of inputs) {
      expect(() => ruby.parse(input)).not.toThrow();
      expect(() => ruby.detect(input)).not.toThrow();
    }
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('returns a partial parse for a truncated trace and caps frames', () => {
    const text = fixture('rails-record-not-found.txt');
    const cut = ruby.parse(text.slice(0, text.indexOf('basic_implicit_render')));
    expect(cut?.exceptions[0]?.type).toBe('ActiveRecord::RecordNotFound');
    expect(cut?.exceptions[0]?.frames.at(-1)?.function).toBe('find_user');
    const huge = ruby.parse(`x.rb:1:in 'f': boom (RuntimeError)\n${"\tfrom /a.rb:1:in `f'\n".repeat(60_000)}`);
    expect(huge?.exceptions[0]?.frames.length).toBeLessThanOrEqual(1000);
    expect(huge?.exceptions[0]?.frames.length).toBeGreaterThan(100);
    expect(ruby.parse('x'.repeat(1_000_000))).toBeUndefined();
  });
});
