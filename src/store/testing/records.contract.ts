/** @module Store contract cases for everything but ingest: queries, lifecycle, history, ledgers, durability. */
import { expect } from 'vitest';
import type { SignatureStore } from '../../ports/index.js';
import type { ContractContext, ContractTest } from '../store.contract.js';
import { diagnosis, fingerprinted, HOUR, idOf, series, T0 } from './events.js';

export function recordCases(test: ContractTest, ctx: ContractContext): void {
  test('lists signatures by filter, order, limit and offset', async () => {
    await ctx.store.ingest([
      ...series(3, { signature: 'a', service: 'checkout', start: T0 }),
      ...series(1, { signature: 'b', service: 'api', start: T0 + HOUR }),
      ...series(5, { signature: 'c', service: 'billing', start: T0 - HOUR }),
    ]);
    await ctx.store.ingest([fingerprinted({ signature: 'c', service: 'api', timestamp: T0 + 2 * HOUR })]);
    await ctx.store.setStatus(idOf('b'), 'muted');

    const ids = async (q: Parameters<SignatureStore['listSignatures']>[0]) =>
      (await ctx.store.listSignatures(q)).map((s) => s.id);
    expect(await ids(undefined)).toEqual([idOf('c'), idOf('b'), idOf('a')]);
    expect(await ids({ orderBy: 'first_seen' })).toEqual([idOf('b'), idOf('a'), idOf('c')]);
    expect(await ids({ orderBy: 'occurrences' })).toEqual([idOf('c'), idOf('a'), idOf('b')]);
    expect(await ids({ service: 'api' })).toEqual([idOf('c'), idOf('b')]);
    expect(await ids({ status: 'new' })).toEqual([idOf('c'), idOf('a')]);
    expect(await ids({ status: 'new', service: 'api' })).toEqual([idOf('c')]);
    expect(await ids({ status: 'resolved' })).toEqual([]);
    expect(await ids({ limit: 2 })).toEqual([idOf('c'), idOf('b')]);
    expect(await ids({ limit: 2, offset: 2 })).toEqual([idOf('a')]);
    expect(await ids({ orderBy: 'occurrences', limit: 1, offset: 1 })).toEqual([idOf('a')]);
  });

  test('counts signatures by filter', async () => {
    await ctx.store.ingest([
      fingerprinted({ signature: 'a', service: 'checkout' }),
      fingerprinted({ signature: 'b', service: 'api' }),
      fingerprinted({ signature: 'b', service: 'checkout' }),
      fingerprinted({ signature: 'c', service: 'api' }),
    ]);
    await ctx.store.setStatus(idOf('c'), 'resolved');
    expect(await ctx.store.countSignatures()).toBe(3);
    expect(await ctx.store.countSignatures({ service: 'checkout' })).toBe(2);
    expect(await ctx.store.countSignatures({ status: 'new' })).toBe(2);
    expect(await ctx.store.countSignatures({ status: 'resolved', service: 'api' })).toBe(1);
    expect(await ctx.store.countSignatures({ service: 'nowhere' })).toBe(0);
  });

  test('moves a signature through legal transitions only', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    const moved = await ctx.store.setStatus(idOf('a'), 'investigating');
    expect(moved.status).toBe('investigating');
    expect((await ctx.store.getSignature(idOf('a')))?.status).toBe('investigating');

    await expect(ctx.store.setStatus(idOf('a'), 'regressed')).resolves.toMatchObject({ status: 'regressed' });
    await expect(ctx.store.setStatus(idOf('a'), 'diagnosed')).rejects.toMatchObject({
      code: 'ROUNDS_ILLEGAL_TRANSITION',
    });
    expect((await ctx.store.getSignature(idOf('a')))?.status).toBe('regressed');
    await expect(ctx.store.setStatus('sig_0000000000000000', 'muted')).rejects.toMatchObject({
      code: 'ROUNDS_NOT_FOUND',
    });
  });

  test('ingest counts a late occurrence from before the resolve without reopening it', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    await ctx.store.resolve(idOf('a'), { at: T0 + HOUR });
    const result = await ctx.store.ingest([fingerprinted({ signature: 'a', timestamp: T0 + HOUR - 1 })]);
    expect(result.updated).toEqual([idOf('a')]);
    expect(result.regressed).toEqual([]);
    expect(await ctx.store.getSignature(idOf('a'))).toMatchObject({ status: 'resolved', occurrenceCount: 2 });
  });

  test('sets tags as a sorted unique set', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    expect((await ctx.store.setTags(idOf('a'), ['db', 'area:orders', 'db'])).tags).toEqual(['area:orders', 'db']);
    expect((await ctx.store.getSignature(idOf('a')))?.tags).toEqual(['area:orders', 'db']);
    expect((await ctx.store.setTags(idOf('a'), [])).tags).toEqual([]);
    await expect(ctx.store.setTags('sig_0000000000000000', ['x'])).rejects.toMatchObject({ code: 'ROUNDS_NOT_FOUND' });
  });

  test('keeps diagnosis history and the current diagnosis', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    const first = diagnosis({ diagnosedAt: T0 + 60_000, confidence: 'low' });
    const second = diagnosis({ diagnosedAt: T0 + 120_000, engine: 'anthropic', costUsd: 0.042 });
    await ctx.store.addDiagnosis(idOf('a'), first);
    expect((await ctx.store.getSignature(idOf('a')))?.diagnosis).toEqual(first);
    await ctx.store.addDiagnosis(idOf('a'), second);

    expect(await ctx.store.listDiagnoses(idOf('a'))).toEqual([second, first]);
    expect((await ctx.store.getSignature(idOf('a')))?.diagnosis).toEqual(second);
    expect((await ctx.store.listSignatures())[0]?.diagnosis).toEqual(second);
    await expect(ctx.store.addDiagnosis('sig_0000000000000000', first)).rejects.toMatchObject({
      code: 'ROUNDS_NOT_FOUND',
    });
  });

  test('sums the cost ledger since a time', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    const entry = { engine: 'anthropic', model: 'm', outcome: 'ok' as const };
    await ctx.store.recordCost({ ...entry, costUsd: 0.5, at: T0 });
    await ctx.store.recordCost({ ...entry, signatureId: idOf('a'), costUsd: 0.25, at: T0 + HOUR });
    await ctx.store.recordCost({ ...entry, costUsd: 0.125, outcome: 'failed', at: T0 + 2 * HOUR });

    expect(await ctx.store.costSince(T0)).toBeCloseTo(0.875, 10);
    expect(await ctx.store.costSince(T0 + HOUR)).toBeCloseTo(0.375, 10);
    expect(await ctx.store.costSince(T0 + 3 * HOUR)).toBe(0);
  });

  test('records each notification once per signature, channel and key', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    const base = { signatureId: idOf('a'), channel: 'github', key: 'new', externalRef: '#12', at: T0 };
    expect(await ctx.store.recordNotification(base)).toBe(true);
    expect(await ctx.store.recordNotification({ ...base, externalRef: '#13', at: T0 + 1 })).toBe(false);
    expect(
      await ctx.store.recordNotification({ ...base, key: 'regression:1', externalRef: undefined, at: T0 + 2 }),
    ).toBe(true);
    expect(await ctx.store.recordNotification({ ...base, channel: 'file', at: T0 + 3 })).toBe(true);

    expect(await ctx.store.listNotifications(idOf('a'))).toEqual([
      base,
      { signatureId: idOf('a'), channel: 'github', key: 'regression:1', at: T0 + 2 },
      { ...base, channel: 'file', at: T0 + 3 },
    ]);
  });

  test('keeps everything across close and reopen', async (skip) => {
    if (!ctx.durable) return skip('the store is not durable');
    const first = series(3, { signature: 'a' });
    await ctx.store.ingest(first);
    await ctx.store.setStatus(idOf('a'), 'investigating');
    await ctx.store.setTags(idOf('a'), ['db']);
    await ctx.store.addDiagnosis(idOf('a'), diagnosis());
    await ctx.store.recordCost({ engine: 'offline', model: 'm', costUsd: 0.01, outcome: 'ok', at: T0 });
    await ctx.store.recordNotification({ signatureId: idOf('a'), channel: 'file', key: 'new', at: T0 });
    const before = await ctx.store.getSignature(idOf('a'));
    const samples = await ctx.store.listSamples(idOf('a'));
    const hours = await ctx.store.hourlyCounts(idOf('a'), 0);

    await ctx.reopen();
    expect(await ctx.store.getSignature(idOf('a'))).toEqual(before);
    expect(await ctx.store.listSamples(idOf('a'))).toEqual(samples);
    expect(await ctx.store.hourlyCounts(idOf('a'), 0)).toEqual(hours);
    expect(await ctx.store.listDiagnoses(idOf('a'))).toEqual([diagnosis()]);
    expect(await ctx.store.costSince(0)).toBeCloseTo(0.01, 10);
    expect(await ctx.store.listNotifications(idOf('a'))).toHaveLength(1);
    expect(await ctx.store.ingest([...first, fingerprinted({ signature: 'a' })])).toMatchObject({
      accepted: 1,
      duplicates: 3,
    });
    expect((await ctx.store.getSignature(idOf('a')))?.occurrenceCount).toBe(4);
  });
}
