import { describe, expect, it } from 'vitest';
import type { TraceSnapshot } from '../../domain/index.js';
import { spanFor } from './testdata/helpers.js';
import { buildTraceTree, formatDuration, renderTraceTree } from './trace-tree.js';

const snapshot: TraceSnapshot = {
  traceId: 'trace-1',
  capturedAt: 0,
  spans: [
    spanFor({
      spanId: 'root',
      service: 'gateway',
      name: 'POST /orders',
      startTimeUnixMs: 0,
      endTimeUnixMs: 1250,
      kind: 2,
      attributes: { 'http.route': '/orders', 'http.request.method': 'POST', 'request.id': 'r-1' },
    }),
    spanFor({ spanId: 'handler', parentSpanId: 'root', name: 'create_order', startTimeUnixMs: 10, endTimeUnixMs: 900 }),
    spanFor({
      spanId: 'auth',
      parentSpanId: 'handler',
      name: 'check_token',
      startTimeUnixMs: 11,
      endTimeUnixMs: 15,
      statusCode: 1,
    }),
    spanFor({
      spanId: 'err',
      parentSpanId: 'handler',
      name: 'order_total',
      startTimeUnixMs: 20,
      endTimeUnixMs: 23.5,
      statusCode: 2,
      statusMessage: "KeyError: 'SKU-404'",
    }),
    spanFor({
      spanId: 'db',
      parentSpanId: 'err',
      name: 'SELECT prices',
      startTimeUnixMs: 21,
      endTimeUnixMs: 22,
      attributes: { 'db.system': 'postgresql', 'db.statement': `SELECT ${'x, '.repeat(100)}` },
    }),
    ...Array.from({ length: 12 }, (_, i) =>
      spanFor({
        spanId: `cache-${i}`,
        parentSpanId: 'handler',
        name: `cache get ${i}`,
        startTimeUnixMs: 30 + i,
        endTimeUnixMs: 31 + i,
      }),
    ),
    spanFor({
      spanId: 'other-error',
      parentSpanId: 'handler',
      name: 'audit',
      startTimeUnixMs: 500,
      endTimeUnixMs: 510,
      statusCode: 2,
    }),
    spanFor({ spanId: 'unrelated', parentSpanId: 'auth', name: 'jwks fetch', startTimeUnixMs: 12, endTimeUnixMs: 13 }),
  ],
};

describe('buildTraceTree / renderTraceTree', () => {
  it('shows the parent chain, the error span, its children and its siblings, bounded', () => {
    const tree = buildTraceTree(snapshot, 'err', { maxSiblings: 4 });
    expect(tree.errorSpanId).toBe('err');
    expect(tree.nodes.filter((n) => n.role === 'ancestor').map((n) => n.spanId)).toEqual(['root', 'handler']);
    expect(tree.nodes.filter((n) => n.role === 'child').map((n) => n.spanId)).toEqual(['db']);
    // Error siblings first, then the earliest; shown in time order.
    expect(tree.nodes.filter((n) => n.role === 'sibling').map((n) => n.spanId)).toEqual([
      'auth',
      'cache-0',
      'cache-1',
      'other-error',
    ]);
    expect(tree.omittedSiblings).toBe(10);
    const text = renderTraceTree(tree);
    expect(text).toContain('[gateway] POST /orders 1.3s {http.route=/orders, http.request.method=POST}');
    expect(text).toContain('    >> [orders] order_total 3.5ms ERROR "KeyError: \'SKU-404\'"');
    expect(text).toContain('      [orders] SELECT prices 1ms {db.system=postgresql, db.statement=SELECT x, x,');
    expect(text).toContain('… 10 more sibling span(s)');
    expect(text).not.toContain('request.id');
    expect(text).not.toContain('jwks');
    expect(text.split('\n').every((line) => line.length < 300)).toBe(true);
  });

  it('renders fewer siblings and children when asked (prompt trimming)', () => {
    const text = renderTraceTree(buildTraceTree(snapshot, 'err'), { maxSiblings: 1, maxChildren: 0 });
    expect(text).toContain('audit');
    expect(text).not.toContain('check_token');
    expect(text).toContain('… 1 more child span(s)');
    expect(text).toContain('… 13 more sibling span(s)');
  });

  it('falls back to the first error span when the sample names none or an unknown one, and says so', () => {
    const tree = buildTraceTree(snapshot, 'missing');
    expect(tree.errorSpanId).toBe('err');
    expect(tree.notes[0]).toContain('span missing is not in the snapshot');
    expect(buildTraceTree(snapshot, undefined).notes[0]).toContain('the sample names no span');
  });

  it('shows the roots when no span has an error status', () => {
    const calm: TraceSnapshot = {
      traceId: 't',
      capturedAt: 0,
      spans: [spanFor({ spanId: 'a' }), spanFor({ spanId: 'b', parentSpanId: 'a' })],
    };
    const tree = buildTraceTree(calm, undefined);
    expect(tree.errorSpanId).toBeUndefined();
    expect(tree.nodes.map((n) => n.spanId)).toEqual(['a']);
    expect(tree.notes[0]).toContain('no span has an error status');
  });

  it('survives a parent cycle and a parent that was not captured', () => {
    const looped: TraceSnapshot = {
      traceId: 't',
      capturedAt: 0,
      spans: [
        spanFor({ spanId: 'a', parentSpanId: 'b' }),
        spanFor({ spanId: 'b', parentSpanId: 'a' }),
        spanFor({ spanId: 'e', parentSpanId: 'a', statusCode: 2 }),
      ],
    };
    const tree = buildTraceTree(looped, 'e');
    expect(tree.notes).toContain('the parent chain loops; stopped at the repeat');
    expect(tree.nodes.map((n) => n.spanId)).toEqual(['b', 'a', 'e']);
    const orphan: TraceSnapshot = {
      traceId: 't',
      capturedAt: 0,
      spans: [spanFor({ spanId: 'e', parentSpanId: 'gone', statusCode: 2 })],
    };
    expect(buildTraceTree(orphan, 'e').notes).toContain('the parent span gone was not captured');
  });

  it('keeps only the nearest ancestors of a very deep chain', () => {
    const spans = Array.from({ length: 30 }, (_, i) =>
      spanFor({ spanId: `s${i}`, ...(i > 0 ? { parentSpanId: `s${i - 1}` } : {}) }),
    );
    spans.push(spanFor({ spanId: 'e', parentSpanId: 's29', statusCode: 2 }));
    const tree = buildTraceTree({ traceId: 't', capturedAt: 0, spans }, 'e', { maxAncestors: 5 });
    expect(tree.omittedAncestors).toBe(25);
    expect(renderTraceTree(tree)).toContain('… 25 outer ancestor span(s)');
    expect(tree.nodes[0]?.spanId).toBe('s25');
  });
});

describe('formatDuration', () => {
  it('formats milliseconds and seconds, and marks corrupt durations', () => {
    expect(formatDuration(3.44)).toBe('3.4ms');
    expect(formatDuration(250.4)).toBe('250ms');
    expect(formatDuration(61_234)).toBe('61.2s');
    expect(formatDuration(-5)).toBe('?ms');
    expect(formatDuration(Number.NaN)).toBe('?ms');
  });
});
