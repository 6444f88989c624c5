import { afterEach, describe, expect, it } from 'vitest';
import type { StackFrame } from '../../domain/index.js';
import { assembleEvidence } from './assemble-evidence.js';
import { openCodebase } from './open-codebase.js';
import { eventFor, signatureFor, spanFor, tempTree } from './testdata/helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const frame = (file: string, line: number, inApp = true): StackFrame => ({ file, line, function: 'f', inApp });

describe('assembleEvidence', () => {
  it('keeps the newest five samples, newest first, and their services and versions', async () => {
    const samples = Array.from({ length: 8 }, (_, i) =>
      eventFor({
        eventId: `ev-${i}`,
        timestamp: 1000 + i,
        service: i % 2 ? 'orders' : 'checkout',
        serviceVersion: `1.${i}`,
      }),
    );
    const bundle = await assembleEvidence({
      signature: signatureFor({ services: ['orders', 'checkout', 'cron'] }),
      samples,
    });
    expect(bundle.samples.map((s) => s.eventId)).toEqual(['ev-7', 'ev-6', 'ev-5', 'ev-4', 'ev-3']);
    expect(bundle.services).toEqual([
      { service: 'orders', versions: ['1.3', '1.5', '1.7'] },
      { service: 'checkout', versions: ['1.4', '1.6'] },
      { service: 'cron', versions: [] },
    ]);
    expect(bundle.firstSeen).toEqual({ at: signatureFor().firstSeen, version: '1.4.2' });
  });

  it('parses each sample’s stack trace and keeps an unparsable one as text', async () => {
    const bundle = await assembleEvidence({
      signature: signatureFor(),
      samples: [
        eventFor({
          eventId: 'a',
          timestamp: 2,
          stackTrace: 'Traceback (most recent call last):\n  File "/app/x.py", line 3, in f\n    g()\nKeyError: 1',
        }),
        eventFor({ eventId: 'b', timestamp: 1, stackTrace: 'something went wrong somewhere', language: 'cobol' }),
      ],
    });
    expect(bundle.samples[0]?.exceptions[0]?.frames[0]).toMatchObject({ file: '/app/x.py', line: 3 });
    expect(bundle.samples[1]?.exceptions).toEqual([]);
    expect(bundle.samples[1]?.unparsedStackTrace).toBe('something went wrong somewhere');
  });

  it('lists every in-app frame as unresolved when no codebase is configured', async () => {
    const bundle = await assembleEvidence({
      signature: signatureFor({
        frames: [frame('/app/a.py', 1), frame('/usr/lib/python3.12/x.py', 2, false), frame('/app/b.py', 3)],
      }),
      samples: [],
    });
    expect(bundle.code).toEqual([]);
    expect(bundle.unresolvedFrames.map((u) => [u.file, u.reason])).toEqual([
      ['/app/b.py', 'no-codebase'],
      ['/app/a.py', 'no-codebase'],
    ]);
    expect(bundle.notes).toContain('no sample events were available');
  });

  it('falls back to the innermost frames when none is in-app', async () => {
    const bundle = await assembleEvidence({
      signature: signatureFor({ frames: [1, 2, 3, 4, 5].map((n) => frame(`/lib/m${n}.py`, n, false)) }),
      samples: [],
    });
    expect(bundle.unresolvedFrames.map((u) => u.file)).toEqual(['/lib/m5.py', '/lib/m4.py', '/lib/m3.py']);
  });

  it('resolves frames the samples add to the signature’s own, and caps the snippets', async () => {
    const t = tempTree({ 'svc/a.py': 'a\n'.repeat(100), 'svc/b.py': 'b\n'.repeat(100), 'svc/c.py': 'c\n'.repeat(100) });
    cleanups.push(t.cleanup);
    const codebase = await openCodebase(t.root);
    const sampleTrace =
      'Traceback (most recent call last):\n  File "/app/svc/c.py", line 50, in h\n    x()\nKeyError: 1';
    const bundle = await assembleEvidence({
      signature: signatureFor({ frames: [frame('/app/svc/a.py', 10), frame('/app/svc/b.py', 20)] }),
      samples: [eventFor({ stackTrace: sampleTrace })],
      codebase,
      options: { code: { maxSnippets: 2, contextLines: 3 } },
    });
    expect(bundle.code.map((s) => [s.path, s.lines.length])).toEqual([
      ['svc/b.py', 7],
      ['svc/a.py', 7],
    ]);
    expect(bundle.notes).toContain('1 resolved frame(s) beyond the snippet cap were not read');
  });

  it('builds one trace tree per distinct sample trace and notes traces without spans', async () => {
    const bundle = await assembleEvidence({
      signature: signatureFor(),
      samples: [
        eventFor({ eventId: 'a', traceId: 't1', spanId: 'e', timestamp: 3 }),
        eventFor({ eventId: 'b', traceId: 't1', spanId: 'e', timestamp: 2 }),
        eventFor({ eventId: 'c', traceId: 't2', timestamp: 1 }),
      ],
      traces: [{ traceId: 't1', capturedAt: 0, spans: [spanFor({ traceId: 't1', spanId: 'e', statusCode: 2 })] }],
    });
    expect(bundle.traces.map((t) => [t.traceId, t.errorSpanId])).toEqual([['t1', 'e']]);
    expect(bundle.notes).toContain('1 sample trace(s) had no stored spans');
  });

  it('contrasts sample attributes (with service facts) against the baseline, and carries caller notes', async () => {
    const bundle = await assembleEvidence({
      signature: signatureFor(),
      samples: [eventFor({ eventId: 'a', serviceVersion: '2.0' }), eventFor({ eventId: 'b', serviceVersion: '2.0' })],
      baseline: [{ 'service.version': '1.9' }, { 'service.version': '1.9' }, { 'service.version': '2.0' }],
      notes: ['1 trace snapshot(s) could not be read from the store'],
    });
    expect(bundle.attributeContrast.entries[0]).toMatchObject({ key: 'service.version', value: '2.0', errorShare: 1 });
    expect(bundle.notes[0]).toBe('1 trace snapshot(s) could not be read from the store');
  });
});

describe('assembleEvidence with a full Signature', () => {
  it('keeps only the signature facts evidence needs (no past diagnosis, tags or frames)', async () => {
    const full = signatureFor({
      frames: [frame('/app/a.py', 1)],
      tags: ['secret-tag'],
      diagnosis: {
        rootCause: 'old',
        evidence: [],
        suggestedFix: '',
        confidence: 'low',
        model: 'm',
        engine: 'offline',
        costUsd: 0,
        diagnosedAt: 0,
      },
    });
    const bundle = await assembleEvidence({ signature: full, samples: [] });
    expect(Object.keys(bundle.signature)).not.toContain('diagnosis');
    expect(Object.keys(bundle.signature)).not.toContain('frames');
    expect(Object.keys(bundle.signature)).not.toContain('tags');
    expect(bundle.signature).toMatchObject({ id: 'sig_0123456789abcdef', firstVersion: '1.4.2' });
  });
});
