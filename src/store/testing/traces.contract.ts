/** @module Store contract cases for trace snapshots: round trip, replacement, references, cleanup with samples. */
import { expect } from 'vitest';
import type { TraceSnapshot, TraceSpan } from '../../domain/index.js';
import type { ContractContext, ContractTest } from '../store.contract.js';
import { fingerprinted, idOf, T0 } from './events.js';

const traceIdOf = (n: number): string => `7ace${n.toString(16).padStart(28, '0')}`;

/** A span of `traceId` numbered `n`, child of span `parent` when given; numbers double as start offsets. */
function span(traceId: string, n: number, parent?: number): TraceSpan {
  const spanOf = (i: number) => i.toString(16).padStart(16, '0');
  return {
    traceId,
    spanId: spanOf(n),
    ...(parent === undefined ? {} : { parentSpanId: spanOf(parent) }),
    name: n === 0 ? 'POST /orders' : `step ${n}`,
    service: 'checkout',
    kind: n === 0 ? 2 : 1,
    startTimeUnixMs: T0 + n,
    endTimeUnixMs: T0 + n + 0.5,
    statusCode: n === 2 ? 2 : 0,
    ...(n === 2 ? { statusMessage: 'order 42 not found' } : {}),
    attributes: { 'http.route': '/orders/:id', step: n, retried: false },
  };
}

/** A snapshot of the first `count` spans of a trace: a root, and every other span its child. */
function snapshot(traceId: string, count: number, capturedAt = T0 + 5000): TraceSnapshot {
  return {
    traceId,
    spans: Array.from({ length: count }, (_, n) => span(traceId, n, n === 0 ? undefined : 0)),
    capturedAt,
  };
}

export function traceCases(test: ContractTest, ctx: ContractContext): void {
  test('saves and reads a trace snapshot of a sampled event', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a', traceId: traceIdOf(1) })]);
    const saved = snapshot(traceIdOf(1), 3);
    expect(await ctx.store.saveTraceSnapshots([saved])).toBe(1);
    expect(await ctx.store.getTraceSnapshot(traceIdOf(1))).toEqual(saved);
    expect(await ctx.store.getTraceSnapshot(traceIdOf(99))).toBeUndefined();
    expect(await ctx.store.saveTraceSnapshots([])).toBe(0);

    if (!ctx.durable) return;
    await ctx.reopen();
    expect(await ctx.store.getTraceSnapshot(traceIdOf(1))).toEqual(saved);
  });

  test('a bigger snapshot of a trace replaces the stored one; a smaller or equal one does not', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a', traceId: traceIdOf(1) })]);
    expect(await ctx.store.saveTraceSnapshots([snapshot(traceIdOf(1), 1, T0 + 5000)])).toBe(1);
    const bigger = snapshot(traceIdOf(1), 4, T0 + 9000);
    expect(await ctx.store.saveTraceSnapshots([bigger])).toBe(1);
    expect(await ctx.store.getTraceSnapshot(traceIdOf(1))).toEqual(bigger);

    // Late captures after spans were evicted from the receiver's buffer hold less: they must not win.
    expect(await ctx.store.saveTraceSnapshots([snapshot(traceIdOf(1), 2, T0 + 12_000)])).toBe(0);
    expect(await ctx.store.saveTraceSnapshots([snapshot(traceIdOf(1), 4, T0 + 12_000)])).toBe(0);
    expect(await ctx.store.getTraceSnapshot(traceIdOf(1))).toEqual(bigger);

    // Within one batch too, the bigger one is what stays.
    const biggest = snapshot(traceIdOf(1), 6, T0 + 15_000);
    await ctx.store.saveTraceSnapshots([biggest, snapshot(traceIdOf(1), 5, T0 + 16_000)]);
    expect(await ctx.store.getTraceSnapshot(traceIdOf(1))).toEqual(biggest);
  });

  test('skips a snapshot whose trace no sample refers to', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a', traceId: traceIdOf(1) })]);
    const written = await ctx.store.saveTraceSnapshots([snapshot(traceIdOf(2), 2), snapshot(traceIdOf(1), 2)]);
    expect(written).toBe(1);
    expect(await ctx.store.getTraceSnapshot(traceIdOf(2))).toBeUndefined();
    expect(await ctx.store.getTraceSnapshot(traceIdOf(1))).toBeDefined();
  });

  test('drops a snapshot when the last sample referring to its trace is trimmed', async () => {
    // Quota 20, 5 per batch: four batches a minute apart fill it, oldest first.
    const oldest = fingerprinted({ signature: 'a', traceId: traceIdOf(1), timestamp: T0 });
    const second = fingerprinted({ signature: 'a', traceId: traceIdOf(2), timestamp: T0 + 1000 });
    const fill = (b: number, from: number) =>
      Array.from({ length: 5 - from }, (_, i) =>
        fingerprinted({ signature: 'a', timestamp: T0 + b * 60_000 + (from + i) * 1000 }),
      );
    await ctx.store.ingest([oldest, second, ...fill(0, 2)]);
    for (let b = 1; b < 4; b++) await ctx.store.ingest(fill(b, 0));
    // Another signature's sample shares the second trace, so that trace outlives signature a's sample of it.
    await ctx.store.ingest([fingerprinted({ signature: 'b', traceId: traceIdOf(2), timestamp: T0 + 1000 })]);
    expect(await ctx.store.listSamples(idOf('a'))).toHaveLength(20);
    expect(await ctx.store.saveTraceSnapshots([snapshot(traceIdOf(1), 3), snapshot(traceIdOf(2), 3)])).toBe(2);

    // Past the spacing interval, one new sample replaces the oldest: trace 1 has no sample left.
    await ctx.store.ingest([fingerprinted({ signature: 'a', timestamp: T0 + 5 * 60_000 })]);
    expect((await ctx.store.listSamples(idOf('a'))).map((e) => e.traceId)).not.toContain(traceIdOf(1));
    expect(await ctx.store.getTraceSnapshot(traceIdOf(1))).toBeUndefined();
    expect(await ctx.store.getTraceSnapshot(traceIdOf(2))).toBeDefined();

    // The next one trims signature a's sample of trace 2; signature b's sample still refers to it.
    await ctx.store.ingest([fingerprinted({ signature: 'a', timestamp: T0 + 7 * 60_000 })]);
    expect((await ctx.store.listSamples(idOf('a'))).map((e) => e.traceId)).not.toContain(traceIdOf(2));
    expect(await ctx.store.getTraceSnapshot(traceIdOf(2))).toBeDefined();
    // And a trimmed trace cannot come back as an orphan.
    expect(await ctx.store.saveTraceSnapshots([snapshot(traceIdOf(1), 5)])).toBe(0);
  });
}
