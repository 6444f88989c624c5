import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorEvent, Signature } from '../domain/index.js';
import { MarkdownNotifier, sanitizePathPart } from './markdown.js';
import { renderSafeText } from './safe-text.js';

const NOW = new Date(Date.UTC(2026, 10, 29, 7, 8, 9, 450));

const signature: Signature = {
  id: 'sig_0123456789abcdef',
  fingerprint: '0123456789abcdef'.repeat(4),
  configId: 'fp:2026-11-29',
  strategy: 'exception-in-app',
  errorType: 'KeyError',
  service: 'orders',
  services: ['orders', 'billing'],
  messageTemplate: 'user <int> not found',
  language: 'python',
  frames: [
    { module: 'flask.app', function: 'dispatch', file: '/usr/lib/python3.12/flask/app.py', line: 880, inApp: false },
    { module: 'orders.api', function: 'create', file: '/srv/app/orders/api.py', line: 17, inApp: true },
    { module: 'orders.service', function: 'place_order', file: '/srv/app/orders/service.py', line: 42, inApp: true },
  ],
  firstSeen: Date.UTC(2026, 10, 29, 5, 0, 0),
  lastSeen: Date.UTC(2026, 10, 29, 6, 0, 0),
  occurrenceCount: 3,
  status: 'diagnosed',
  tags: [],
  versions: ['1.4.2', '1.4.3'],
  firstVersion: '1.4.2',
  environments: ['production'],
  diagnosis: {
    rootCause: 'The cache returns <None> for users created in the last second.',
    evidence: [{ description: 'Every sample follows a signup', reference: 'orders/service.py:42' }],
    suggestedFix: 'Read through to the database on a cache miss.',
    confidence: 'medium',
    model: 'claude-opus',
    engine: 'anthropic',
    costUsd: 0.0123,
    diagnosedAt: Date.UTC(2026, 10, 29, 6, 30, 0),
  },
};

function sample(traceId: string): ErrorEvent {
  return {
    eventId: `evt-${traceId}`,
    traceId,
    service: 'orders',
    serviceVersion: '1.4.3',
    environment: 'production',
    errorType: 'KeyError',
    message: 'user 42 not found',
    timestamp: Date.UTC(2026, 10, 29, 6, 0, 0),
    attributes: {},
    source: 'otlp',
  };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rounds-md-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Every file under `dir`, relative, sorted: proves nothing else (temp files, stray dirs) was left behind. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('MarkdownNotifier', () => {
  it('writes one file per report at YYYY-MM-DD/HH-MM-SS_<service>_<ErrorType>_<id>.md (UTC)', async () => {
    const dir = tempDir();
    const notifier = new MarkdownNotifier({ outputDir: dir, now: () => NOW });
    await notifier.notify({ kind: 'diagnosis', signature });
    expect(filesUnder(dir)).toEqual(['2026-11-29/07-08-09_orders_KeyError_sig_0123456789abcdef.md']);
  });

  it('sanitises hostile service names and type names into one safe file name inside the output dir', async () => {
    const dir = tempDir();
    const notifier = new MarkdownNotifier({ outputDir: dir, now: () => NOW });
    const hostile = { ...signature, service: '../../etc', errorType: 'com.acme.Foo$Bar' };
    const path = await notifier.write({ kind: 'new_signature', signature: hostile });
    expect(relative(dir, path)).toBe('2026-11-29/07-08-09_etc_com.acme.Foo-Bar_sig_0123456789abcdef.md');
    expect(filesUnder(dir)).toEqual([relative(dir, path)]);
  });

  it('never yields a path separator, `..`, a leading dot, an empty or an unbounded part', () => {
    for (const value of [
      '../../etc',
      '/etc/passwd',
      '..',
      '.hidden',
      '',
      '   ',
      'a/../b',
      'C:\\Windows',
      'x'.repeat(500),
    ]) {
      const part = sanitizePathPart(value);
      expect(part).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/);
      expect(part).not.toContain('..');
      expect(part.length).toBeLessThanOrEqual(64);
    }
    expect(sanitizePathPart('com.acme.Foo$Bar')).toBe('com.acme.Foo-Bar');
    expect(sanitizePathPart('  ')).toBe('unknown');
  });

  it('writes a readable report: facts, counts, versions, environments, traces, diagnosis and in-app frames', async () => {
    const dir = tempDir();
    const url = (id: string) => `https://signoz.example.com/trace/${id}`;
    const notifier = new MarkdownNotifier({ outputDir: dir, now: () => NOW, traceUrl: url });
    const path = await notifier.write({
      kind: 'diagnosis',
      signature,
      samples: [sample('4bf92f3577b34da6a3ce929d0e0e4736'), sample('00f067aa0ba902b7a3ce929d0e0e4736')],
    });
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^# Diagnosis: `KeyError` in `orders`\n/);
    expect(text).toContain('Reported by Rounds at 2026-11-29T07:08:09.450Z.');
    expect(text).toContain('| Signature | `sig_0123456789abcdef` |');
    expect(text).toContain('| Message template | `user <int> not found` |');
    expect(text).toContain('- **Occurrences:** 3');
    expect(text).toContain('- **Last seen:** 2026-11-29T06:00:00.000Z');
    expect(text).toContain('- **Affected versions:** `1.4.2`, `1.4.3` (first seen in `1.4.2`)');
    expect(text).toContain('- **Environments:** `production`');
    expect(text).toContain(
      '- `4bf92f3577b34da6a3ce929d0e0e4736` ([open trace](https://signoz.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736))',
    );
    expect(text).toContain('`00f067aa0ba902b7a3ce929d0e0e4736`');
    expect(text).toContain('**Root cause** (confidence: medium):');
    expect(text).toContain('The cache returns &lt;None&gt; for users created in the last second.');
    expect(text).toContain('- Every sample follows a signup (`orders/service.py:42`)');
    expect(text).toContain('Read through to the database on a cache miss.');
    expect(text).toContain('Model `claude-opus` (anthropic) · cost $0.0123 · diagnosed 2026-11-29T06:30:00.000Z');
    expect(text).toContain(
      '## In-app frames (innermost last)\n\n1. `orders.api.create` at `/srv/app/orders/api.py:17`\n2. `orders.service.place_order` at `/srv/app/orders/service.py:42`\n',
    );
    expect(text).not.toContain('flask.app');
  });

  it('says so when there is no diagnosis yet and no sample carries a trace id', async () => {
    const dir = tempDir();
    const { diagnosis: _, ...undiagnosed } = signature;
    const path = await new MarkdownNotifier({ outputDir: dir, now: () => NOW }).write({
      kind: 'new_signature',
      signature: { ...undiagnosed, status: 'new' },
    });
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('# New error signature: `KeyError` in `orders`');
    expect(text).toContain('_Not diagnosed yet._');
    expect(text).toContain('_No sample with a trace id is attached to this report._');
  });

  it('gives a second report in the same second a suffix instead of overwriting the first', async () => {
    const dir = tempDir();
    const notifier = new MarkdownNotifier({ outputDir: dir, now: () => NOW });
    const first = await notifier.write({ kind: 'new_signature', signature });
    const second = await notifier.write({ kind: 'diagnosis', signature });
    const third = await notifier.write({ kind: 'diagnosis', signature });
    expect(filesUnder(dir)).toEqual([
      '2026-11-29/07-08-09_orders_KeyError_sig_0123456789abcdef-2.md',
      '2026-11-29/07-08-09_orders_KeyError_sig_0123456789abcdef-3.md',
      '2026-11-29/07-08-09_orders_KeyError_sig_0123456789abcdef.md',
    ]);
    expect(readFileSync(first, 'utf8')).toContain('# New error signature');
    expect(readFileSync(second, 'utf8')).toContain('# Diagnosis');
    expect(third).not.toBe(second);
  });

  it('keeps concurrent reports of one second apart, with no temp file left behind', async () => {
    const dir = tempDir();
    const notifier = new MarkdownNotifier({ outputDir: dir, now: () => NOW });
    await Promise.all(Array.from({ length: 8 }, () => notifier.notify({ kind: 'diagnosis', signature })));
    const files = filesUnder(dir);
    expect(files).toHaveLength(8);
    expect(files.every((f) => f.endsWith('.md') && !f.includes('/.'))).toBe(true);
  });

  it('rejects with a clear error when the output dir cannot be written', async () => {
    const dir = tempDir();
    // A regular file where a directory should be: fails for every user, root included (unlike chmod).
    const blocker = join(dir, 'reports');
    writeFileSync(blocker, 'not a directory');
    const notifier = new MarkdownNotifier({ outputDir: blocker, now: () => NOW });
    await expect(notifier.notify({ kind: 'new_signature', signature })).rejects.toThrow(
      /markdown notifier: cannot write the report for sig_0123456789abcdef under .*reports: .*(ENOTDIR|EEXIST)/,
    );
  });
});

describe('renderSafeText', () => {
  it('keeps code spans closed whatever backticks the text holds', () => {
    expect(renderSafeText('plain', 'code')).toBe('`plain`');
    expect(renderSafeText('a `b` c', 'code')).toBe('``a `b` c``');
    expect(renderSafeText('`edge`', 'code')).toBe('`` `edge` ``');
    expect(renderSafeText('two\nlines', 'code')).toBe('`two lines`');
    expect(renderSafeText('a|b', 'cell')).toBe('`a\\|b`');
  });

  it('neutralises HTML, links, images, mentions and block markup in prose', () => {
    const text = renderSafeText(
      '<img src=x onerror=alert(1)> ![i](http://t) [l](javascript:x) @octocat #12\n# Title\n- item',
      'prose',
    );
    expect(text).not.toMatch(/<img|!\[|\]\(/);
    expect(text).toContain('&lt;img');
    expect(text).toContain('`@octocat`');
    expect(text).toContain('`#12`');
    expect(text.split('\n')[1]).toBe('\\# Title');
    expect(text.split('\n')[2]).toBe('\\- item');
  });

  it('keeps titles on one plain line', () => {
    expect(renderSafeText('a\n\tb\u0007c', 'plain')).toBe('a b c');
  });
});

describe('markdown reports are redacted', () => {
  // Assembled at run time, so the source holds no whole token for secret scanners to flag.
  const token = ['gh', 'p_', 'k3Xw9QzL', 'm2Vb7RtY', 'p4Nc8HsD', 'f6Jg1Ae5', 'uT0o'].join('');

  it('never writes a GitHub token from the message, frames, versions or diagnosis to the file', async () => {
    const dir = tempDir();
    const leaky: Signature = {
      ...signature,
      messageTemplate: `HttpError: Bad credentials for token ${token}`,
      versions: [`1.4.2+${token}`],
      frames: [{ function: 'push', file: `/srv/app/${token}/git.py`, line: 3, inApp: true }],
      diagnosis: {
        ...signature.diagnosis!,
        rootCause: `The request sends ${token}, which was revoked.`,
        evidence: [{ description: `401 for ${token}`, reference: `Authorization: Bearer ${token}` }],
        suggestedFix: `Rotate ${token}.`,
      },
    };
    const path = await new MarkdownNotifier({ outputDir: dir, now: () => NOW }).write({
      kind: 'diagnosis',
      signature: leaky,
      samples: [sample('4bf92f3577b34da6a3ce929d0e0e4736')],
    });
    const report = readFileSync(path, 'utf8');
    expect(report).not.toContain(token);
    expect(report).not.toContain(token.slice(4, 20));
    expect(report).toContain('> `HttpError: Bad credentials for token [REDACTED:github_token]`');
    expect(report).toContain('The request sends \\[REDACTED:github\\_token\\], which was revoked.');
    // Ids the reader needs are kept.
    expect(report).toContain('`4bf92f3577b34da6a3ce929d0e0e4736`');
    expect(report).toContain('`sig_0123456789abcdef`');
  });
});

describe('MarkdownNotifier citation check and notes', () => {
  it('says which citations could not be verified and carries the engine notes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rounds-md-citations-'));
    try {
      const notifier = new MarkdownNotifier({ outputDir: dir, now: () => NOW });
      const diagnosed: Signature = {
        ...signature,
        diagnosis: {
          ...signature.diagnosis!,
          confidence: 'medium',
          citations: { checked: 3, unverified: ['orders/tax.py:88'] },
          notes: ['1 of 3 citations could not be verified (orders/tax.py:88); confidence lowered from high'],
        },
      };
      const text = readFileSync(await notifier.write({ kind: 'diagnosis', signature: diagnosed }), 'utf8');
      expect(text).toContain('Citations: 1 of 3 could not be verified: `orders/tax.py:88`.');
      expect(text).toContain('> 1 of 3 citations could not be verified');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
