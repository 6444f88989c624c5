/** @module Store contract cases for ingest: counting, dedupe, merging, hours, samples, atomicity. */
import { expect } from 'vitest';
import type { AttributeValue } from '../../domain/index.js';
import type { ContractContext, ContractTest } from '../store.contract.js';
import { fingerprinted, HOUR, idOf, series, T0 } from './events.js';

export function ingestCases(test: ContractTest, ctx: ContractContext): void {
  test('creates a new signature from the fingerprint and the event', async () => {
    const fe = fingerprinted({ signature: 'a' });
    const result = await ctx.store.ingest([fe]);

    expect(result).toMatchObject({ accepted: 1, duplicates: 0, updated: [] });
    expect(result.created).toHaveLength(1);
    const created = result.created[0]!;
    expect(created).toMatchObject({
      id: idOf('a'),
      fingerprint: fe.fingerprint.hash,
      configId: fe.fingerprint.configId,
      strategy: fe.fingerprint.strategy,
      errorType: fe.fingerprint.errorType,
      messageTemplate: fe.fingerprint.messageTemplate,
      language: 'python',
      frames: fe.fingerprint.frames,
      service: 'checkout',
      services: ['checkout'],
      versions: ['1.4.2'],
      firstVersion: '1.4.2',
      environments: ['production'],
      firstSeen: T0,
      lastSeen: T0,
      occurrenceCount: 1,
      status: 'new',
      tags: [],
    });
    expect(created.diagnosis).toBeUndefined();
    expect(await ctx.store.getSignature(created.id)).toEqual(created);
  });

  test('an empty batch changes nothing', async () => {
    expect(await ctx.store.ingest([])).toEqual({
      created: [],
      updated: [],
      duplicates: 0,
      accepted: 0,
      sampledTraceIds: [],
      regressed: [],
      unmuted: [],
    });
    expect(await ctx.store.countSignatures()).toBe(0);
  });

  test('reads of an unknown signature are empty', async () => {
    expect(await ctx.store.getSignature('sig_0000000000000000')).toBeUndefined();
    expect(await ctx.store.listSamples('sig_0000000000000000')).toEqual([]);
    expect(await ctx.store.hourlyCounts('sig_0000000000000000', 0)).toEqual([]);
    expect(await ctx.store.listDiagnoses('sig_0000000000000000')).toEqual([]);
    expect(await ctx.store.listNotifications('sig_0000000000000000')).toEqual([]);
  });

  test('counts repeats exactly, within and across batches', async () => {
    await ctx.store.ingest(series(10, { signature: 'a' }));
    for (let i = 0; i < 3; i++) {
      const result = await ctx.store.ingest(series(5, { signature: 'a', start: T0 + (i + 1) * 60_000 }));
      expect(result).toMatchObject({ created: [], updated: [idOf('a')], duplicates: 0, accepted: 5 });
      // Below the quota every event of a small batch is kept as a sample, so each trace is reported.
      expect(result.sampledTraceIds).toHaveLength(5);
    }
    expect((await ctx.store.getSignature(idOf('a')))?.occurrenceCount).toBe(25);
  });

  test('ignores an eventId repeated within a batch', async () => {
    const fe = fingerprinted({ signature: 'a' });
    const other = fingerprinted({ signature: 'a', timestamp: T0 + 1000 });
    const result = await ctx.store.ingest([fe, fe, other, { ...fe, event: { ...fe.event, timestamp: T0 + 5000 } }]);

    expect(result).toMatchObject({ accepted: 2, duplicates: 2 });
    const sig = await ctx.store.getSignature(idOf('a'));
    expect(sig).toMatchObject({ occurrenceCount: 2, lastSeen: T0 + 1000 });
  });

  test('ignores eventIds already counted by an earlier batch', async () => {
    const first = series(4, { signature: 'a' });
    await ctx.store.ingest(first);

    const again = await ctx.store.ingest(first);
    expect(again).toEqual({
      created: [],
      updated: [],
      duplicates: 4,
      accepted: 0,
      sampledTraceIds: [],
      regressed: [],
      unmuted: [],
    });

    const mixed = await ctx.store.ingest([...first, fingerprinted({ signature: 'a', timestamp: T0 + HOUR })]);
    expect(mixed).toMatchObject({ created: [], updated: [idOf('a')], duplicates: 4, accepted: 1 });
    expect(await ctx.store.getSignature(idOf('a'))).toMatchObject({ occurrenceCount: 5, lastSeen: T0 + HOUR });
    expect(await ctx.store.hourlyCounts(idOf('a'), 0)).toEqual([
      { hourStart: Date.UTC(2026, 10, 29, 10), count: 4 },
      { hourStart: Date.UTC(2026, 10, 29, 11), count: 1 },
    ]);
  });

  test('handles a batch that spans several signatures', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'c' })]);
    const batch = [
      fingerprinted({ signature: 'a' }),
      fingerprinted({ signature: 'c' }),
      fingerprinted({ signature: 'b' }),
      fingerprinted({ signature: 'a' }),
      fingerprinted({ signature: 'c' }),
    ];
    const result = await ctx.store.ingest(batch);

    expect(result.created.map((s) => s.id).sort()).toEqual([idOf('a'), idOf('b')].sort());
    expect(result.updated).toEqual([idOf('c')]);
    expect(result.accepted).toBe(5);
    const counts = await Promise.all(
      ['a', 'b', 'c'].map(async (l) => (await ctx.store.getSignature(idOf(l)))?.occurrenceCount),
    );
    expect(counts).toEqual([2, 1, 3]);
  });

  test('merges services, versions and environments', async () => {
    await ctx.store.ingest([
      fingerprinted({ signature: 'a', service: 'checkout', serviceVersion: '1.5.0', timestamp: T0 + 10 }),
      fingerprinted({
        signature: 'a',
        service: 'api',
        serviceVersion: '1.4.2',
        environment: 'staging',
        timestamp: T0,
      }),
    ]);
    await ctx.store.ingest([
      fingerprinted({ signature: 'a', service: 'billing', serviceVersion: '1.3.9', timestamp: T0 + 20 }),
      fingerprinted({ signature: 'a', service: 'api', serviceVersion: '1.5.0', timestamp: T0 + 30 }),
      fingerprinted({ signature: 'a', serviceVersion: undefined, environment: undefined, timestamp: T0 + 40 }),
    ]);

    expect(await ctx.store.getSignature(idOf('a'))).toMatchObject({
      service: 'api',
      services: ['api', 'billing', 'checkout'],
      versions: ['1.4.2', '1.5.0', '1.3.9'],
      firstVersion: '1.4.2',
      environments: ['production', 'staging'],
    });
  });

  test('sets firstVersion once, when a version first appears', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a', serviceVersion: undefined })]);
    expect((await ctx.store.getSignature(idOf('a')))?.firstVersion).toBeUndefined();
    await ctx.store.ingest([fingerprinted({ signature: 'a', serviceVersion: '2.0.0' })]);
    await ctx.store.ingest([fingerprinted({ signature: 'a', serviceVersion: '2.1.0' })]);
    expect(await ctx.store.getSignature(idOf('a'))).toMatchObject({
      firstVersion: '2.0.0',
      versions: ['2.0.0', '2.1.0'],
    });
  });

  test('tracks first and last seen across out-of-order batches', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a', timestamp: T0 + HOUR })]);
    await ctx.store.ingest([
      fingerprinted({ signature: 'a', timestamp: T0 + 2 * HOUR }),
      fingerprinted({ signature: 'a', timestamp: T0 }),
    ]);
    await ctx.store.ingest([fingerprinted({ signature: 'a', timestamp: T0 + 30 * 60_000 })]);
    expect(await ctx.store.getSignature(idOf('a'))).toMatchObject({ firstSeen: T0, lastSeen: T0 + 2 * HOUR });
  });

  test('counts occurrences per UTC hour', async () => {
    const h = Date.UTC(2026, 10, 29, 10);
    const at = (ms: number) => fingerprinted({ signature: 'a', timestamp: ms });
    await ctx.store.ingest([at(h + HOUR - 1), at(h + HOUR), at(h + HOUR + 60_000), at(h + 3 * HOUR)]);
    await ctx.store.ingest([at(h)]);

    expect(await ctx.store.hourlyCounts(idOf('a'), h)).toEqual([
      { hourStart: h, count: 2 },
      { hourStart: h + HOUR, count: 2 },
      { hourStart: h + 3 * HOUR, count: 1 },
    ]);
    // The hour containing `sinceMs` is included: it may hold occurrences after `sinceMs`.
    expect(await ctx.store.hourlyCounts(idOf('a'), h + HOUR + 30 * 60_000)).toEqual([
      { hourStart: h + HOUR, count: 2 },
      { hourStart: h + 3 * HOUR, count: 1 },
    ]);
  });

  test('keeps bounded samples, newest first', async () => {
    const burst = series(12, { signature: 'a' });
    await ctx.store.ingest(burst);
    let samples = await ctx.store.listSamples(idOf('a'));
    // At most 5 per batch: the newest five of the burst.
    expect(samples.map((e) => e.timestamp)).toEqual([11, 10, 9, 8, 7].map((s) => T0 + s * 1000));
    expect(samples[0]).toEqual(burst[11]!.event);

    for (let b = 1; b <= 4; b++) await ctx.store.ingest(series(5, { signature: 'a', start: T0 + b * 60_000 }));
    samples = await ctx.store.listSamples(idOf('a'));
    // Batches 0-3 filled the quota of 20; once full, batch 4 (a minute later) adds only its newest event,
    // which replaces the oldest sample.
    expect(samples).toHaveLength(20);
    expect(samples[0]!.timestamp).toBe(T0 + 4 * 60_000 + 4000);
    expect(samples.at(-1)!.timestamp).toBe(T0 + 8000);
    expect(samples.map((e) => e.timestamp)).toEqual([...samples.map((e) => e.timestamp)].sort((x, y) => y - x));
    expect(await ctx.store.listSamples(idOf('a'), 3)).toEqual(samples.slice(0, 3));
  });

  test('once the quota is full, adds at most one sample per spacing interval', async () => {
    for (let b = 0; b < 4; b++) await ctx.store.ingest(series(5, { signature: 'a', start: T0 + b * 60_000 }));
    const full = await ctx.store.listSamples(idOf('a'));
    expect(full).toHaveLength(20);

    // Ten seconds after the newest sample: counted, but no sample taken, so no trace worth a snapshot.
    const soon = await ctx.store.ingest(series(3, { signature: 'a', start: T0 + 3 * 60_000 + 14_000 }));
    expect(soon.accepted).toBe(3);
    expect(soon.sampledTraceIds).toEqual([]);
    expect(await ctx.store.listSamples(idOf('a'))).toEqual(full);

    // A minute later: exactly one new sample, the newest event, and the oldest one goes.
    const later = series(3, { signature: 'a', start: T0 + 5 * 60_000 });
    expect((await ctx.store.ingest(later)).sampledTraceIds).toEqual([later[2]!.event.traceId]);
    const after = await ctx.store.listSamples(idOf('a'));
    expect(after).toHaveLength(20);
    expect(after[0]!.timestamp).toBe(T0 + 5 * 60_000 + 2000);
    expect(after[1]).toEqual(full[0]);
    expect(after.at(-1)).toEqual(full.at(-2));
    expect((await ctx.store.getSignature(idOf('a')))?.occurrenceCount).toBe(26);
  });

  test('forgets seen eventIds older than the retention window', async () => {
    const fe = fingerprinted({ signature: 'a' });
    await ctx.store.ingest([fe]);
    expect(await ctx.store.pruneSeenEvents(Date.now() - HOUR)).toBe(0);
    expect((await ctx.store.ingest([fe])).duplicates).toBe(1);

    expect(await ctx.store.pruneSeenEvents(Date.now() + 1000)).toBe(1);
    // Dedupe only holds for eventIds still remembered: once pruned, the same eventId counts again. The
    // retention window must therefore outlast any overlap between polls or redeliveries.
    expect(await ctx.store.ingest([fe])).toMatchObject({ accepted: 1, duplicates: 0 });
    expect((await ctx.store.getSignature(idOf('a')))?.occurrenceCount).toBe(2);
  });

  test('a batch that fails midway leaves nothing behind', async () => {
    const earlier = series(2, { signature: 'a' });
    await ctx.store.ingest(earlier);
    const before = await ctx.store.getSignature(idOf('a'));

    const good = series(3, { signature: 'a', start: T0 + HOUR });
    const fresh = fingerprinted({ signature: 'b', timestamp: T0 + HOUR });
    // A BigInt cannot be serialised to JSON: storing this event's sample must fail after the rest was written.
    const poison = fingerprinted({
      signature: 'c',
      timestamp: T0 + 2 * HOUR,
      attributes: { size: 10n as unknown as AttributeValue },
    });
    await expect(ctx.store.ingest([...good, fresh, poison])).rejects.toThrow();

    expect(await ctx.store.getSignature(idOf('a'))).toEqual(before);
    expect(await ctx.store.getSignature(idOf('b'))).toBeUndefined();
    expect(await ctx.store.getSignature(idOf('c'))).toBeUndefined();
    expect(await ctx.store.countSignatures()).toBe(1);
    expect(await ctx.store.hourlyCounts(idOf('a'), 0)).toEqual([{ hourStart: Date.UTC(2026, 10, 29, 10), count: 2 }]);
    expect(await ctx.store.listSamples(idOf('a'))).toHaveLength(2);
    // The failed batch's eventIds were not remembered either: they count when delivered again.
    expect(await ctx.store.ingest([...good, fresh])).toMatchObject({ accepted: 4, duplicates: 0 });
  });
}
