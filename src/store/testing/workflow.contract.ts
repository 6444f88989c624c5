/** @module Store contract cases for the workflow state: resolve and mute, triage, the diagnosis queue, the outbox. */
import { expect } from 'vitest';
import type { TriageDecision } from '../../domain/index.js';
import type { ContractContext, ContractTest } from '../store.contract.js';
import { diagnosis, fingerprinted, HOUR, idOf, series, T0 } from './events.js';

const MINUTE = 60_000;

function decision(queued: boolean, priority: number, at: number, reason = queued ? 'new' : 'cooldown'): TriageDecision {
  return {
    queued,
    priority,
    reason: reason as TriageDecision['reason'],
    explanation: `test decision ${reason}`,
    components: queued ? { volume: priority } : {},
    decidedAt: at,
  };
}

export function workflowCases(test: ContractTest, ctx: ContractContext): void {
  test('resolved in a version: older releases do not regress it, that release and newer do', async () => {
    const a = idOf('a');
    await ctx.store.ingest([
      fingerprinted({ signature: 'a', serviceVersion: '1.4.1', timestamp: T0 }),
      fingerprinted({ signature: 'a', serviceVersion: '1.4.2', timestamp: T0 + MINUTE }),
    ]);
    const resolved = await ctx.store.resolve(a, { at: T0 + HOUR, inVersion: '1.4.2' });
    expect(resolved).toMatchObject({ status: 'resolved', resolution: { resolvedAt: T0 + HOUR, inVersion: '1.4.2' } });
    await expect(ctx.store.resolve(a, { at: T0 + HOUR })).rejects.toMatchObject({ code: 'ROUNDS_ILLEGAL_TRANSITION' });

    // A straggling old pod.
    const old = await ctx.store.ingest([
      fingerprinted({ signature: 'a', serviceVersion: '1.4.1', timestamp: T0 + 2 * HOUR }),
    ]);
    expect(old.regressed).toEqual([]);
    expect((await ctx.store.getSignature(a))?.status).toBe('resolved');

    const again = await ctx.store.ingest([
      fingerprinted({ signature: 'a', serviceVersion: '1.4.10', timestamp: T0 + 3 * HOUR }),
    ]);
    expect(again.regressed).toEqual([a]);
    const regressed = await ctx.store.getSignature(a);
    expect(regressed).toMatchObject({ status: 'regressed', occurrenceCount: 4, resolution: { inVersion: '1.4.2' } });

    const reports = await ctx.store.claimNotifications(Math.max(Date.now(), T0) + 10 * HOUR, MINUTE, 10);
    expect(reports.map((r) => `${r.kind}:${r.signatureId}`)).toEqual([`resolved:${a}`, `regression:${a}`]);
  });

  test('resolved without a version: any later occurrence regresses it', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a', timestamp: T0 })]);
    await ctx.store.resolve(idOf('a'), { at: T0 + MINUTE });
    const result = await ctx.store.ingest([
      fingerprinted({ signature: 'a', serviceVersion: '0.1', timestamp: T0 + HOUR }),
    ]);
    expect(result.regressed).toEqual([idOf('a')]);
  });

  test('versions that are not SemVer order by when the signature first saw them', async () => {
    const a = idOf('a');
    await ctx.store.ingest([
      fingerprinted({ signature: 'a', serviceVersion: 'c0ffee1', timestamp: T0 }),
      fingerprinted({ signature: 'a', serviceVersion: 'deadbee', timestamp: T0 + MINUTE }),
    ]);
    await ctx.store.resolve(a, { at: T0 + HOUR, inVersion: 'deadbee' });
    expect(
      (await ctx.store.ingest([fingerprinted({ signature: 'a', serviceVersion: 'c0ffee1', timestamp: T0 + 2 * HOUR })]))
        .regressed,
    ).toEqual([]);
    // A build never seen before is a new deploy: it can only be the fix or later.
    expect(
      (
        await ctx.store.ingest([
          fingerprinted({ signature: 'a', serviceVersion: 'f00dcafe', timestamp: T0 + 3 * HOUR }),
        ])
      ).regressed,
    ).toEqual([a]);
  });

  test('a mute ends after its occurrence allowance, or at its time', async () => {
    const a = idOf('a');
    const b = idOf('b');
    await ctx.store.ingest([fingerprinted({ signature: 'a' }), fingerprinted({ signature: 'b' })]);
    const muted = await ctx.store.mute(a, { mutedAt: T0, reason: 'known flake', remainingOccurrences: 3 });
    expect(muted).toMatchObject({ status: 'muted', mute: { reason: 'known flake', remainingOccurrences: 3 } });
    await expect(ctx.store.mute(a, { mutedAt: T0 })).rejects.toMatchObject({ code: 'ROUNDS_ILLEGAL_TRANSITION' });

    await ctx.store.ingest(series(2, { signature: 'a', start: T0 + MINUTE }));
    expect(await ctx.store.getSignature(a)).toMatchObject({ status: 'muted', mute: { remainingOccurrences: 1 } });
    const ending = await ctx.store.ingest(series(1, { signature: 'a', start: T0 + HOUR }));
    expect(ending.unmuted).toEqual([a]);
    const after = await ctx.store.getSignature(a);
    expect(after?.status).toBe('new');
    expect(after?.mute).toBeUndefined();

    await ctx.store.mute(b, { mutedAt: T0, until: T0 + HOUR });
    expect(await ctx.store.expireMutes(T0 + HOUR - 1)).toEqual([]);
    expect(await ctx.store.expireMutes(T0 + HOUR)).toEqual([b]);
    expect((await ctx.store.getSignature(b))?.status).toBe('new');
    await expect(ctx.store.unmute(b, T0)).rejects.toMatchObject({ code: 'ROUNDS_ILLEGAL_TRANSITION' });
    await expect(ctx.store.mute('sig_0000000000000000', { mutedAt: T0 })).rejects.toMatchObject({
      code: 'ROUNDS_NOT_FOUND',
    });
  });

  test('triage candidates carry last-hour and baseline rates; history grows only when the decision changes', async () => {
    const a = idOf('a');
    const now = T0 + 3 * HOUR;
    // 2 per hour for the three hours before the last one, then a surge of 12 in the last hour.
    await ctx.store.ingest([
      ...series(2, { signature: 'a', start: T0 - HOUR + MINUTE }),
      ...series(2, { signature: 'a', start: T0 + 1 }),
      ...series(2, { signature: 'a', start: T0 + HOUR }),
      ...series(12, { signature: 'a', start: now - 10 * MINUTE }),
    ]);
    await ctx.store.ingest([fingerprinted({ signature: 'old', timestamp: T0 - 48 * HOUR })]);

    const candidates = await ctx.store.listTriageCandidates(now - 2 * HOUR, now, 100);
    expect(candidates.map((c) => c.signature.id)).toEqual([a]);
    const facts = candidates[0]!.facts;
    expect(facts.lastHourCount).toBe(12);
    expect(facts.baselinePerHour).toBeGreaterThan(1);
    expect(facts.baselinePerHour).toBeLessThan(3);
    expect(facts.attempts).toBe(0);

    await ctx.store.recordTriage(a, decision(false, 0, now, 'below_min_occurrences'));
    await ctx.store.recordTriage(a, decision(false, 0, now + 1, 'below_min_occurrences'));
    await ctx.store.recordTriage(a, decision(true, 42, now + 2));
    await ctx.store.recordTriage(a, decision(true, 40, now + 3));
    const history = await ctx.store.listTriageHistory(a);
    expect(history.map((d) => `${d.queued}:${d.reason}`)).toEqual(['true:new', 'false:below_min_occurrences']);
    expect((await ctx.store.getSignature(a))?.triage).toMatchObject({ queued: true, priority: 40 });
    await expect(ctx.store.recordTriage('sig_0000000000000000', decision(true, 1, now))).rejects.toMatchObject({
      code: 'ROUNDS_NOT_FOUND',
    });
  });

  test('claims go by priority, never to two workers at once, and an expired lease is free again', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'low' }), fingerprinted({ signature: 'high' })]);
    await ctx.store.recordTriage(idOf('low'), decision(true, 10, T0));
    await ctx.store.recordTriage(idOf('high'), decision(true, 90, T0));

    const first = await ctx.store.claimInvestigation('w1', T0, 10 * MINUTE);
    const second = await ctx.store.claimInvestigation('w2', T0, 10 * MINUTE);
    expect(first?.signature).toMatchObject({ id: idOf('high'), status: 'investigating' });
    expect(second?.signature.id).toBe(idOf('low'));
    expect(await ctx.store.claimInvestigation('w3', T0 + MINUTE, 10 * MINUTE)).toBeUndefined();

    // w1 dies; after its lease, w3 takes the signature over and w1's late answer is refused.
    expect(await ctx.store.renewInvestigation(idOf('high'), 'w1', T0 + 5 * MINUTE)).toBe(true);
    const takeover = await ctx.store.claimInvestigation('w3', T0 + 5 * MINUTE, 10 * MINUTE);
    expect(takeover).toMatchObject({ signature: { id: idOf('high') }, workerId: 'w3' });
    expect(await ctx.store.renewInvestigation(idOf('high'), 'w1', T0 + 20 * MINUTE)).toBe(false);
    await expect(ctx.store.completeInvestigation(idOf('high'), 'w1', diagnosis())).rejects.toMatchObject({
      code: 'ROUNDS_LEASE_LOST',
    });
    expect(await ctx.store.listDiagnoses(idOf('high'))).toEqual([]);

    const done = await ctx.store.completeInvestigation(idOf('high'), 'w3', diagnosis({ diagnosedAt: T0 + 6 * MINUTE }));
    expect(done.status).toBe('diagnosed');
    expect(done.diagnosis?.diagnosedAt).toBe(T0 + 6 * MINUTE);
    expect(await ctx.store.listDiagnoses(idOf('high'))).toHaveLength(1);
    // Completed work leaves the queue, and its report waits in the outbox.
    expect((await ctx.store.claimInvestigation('w3', T0 + HOUR, MINUTE))?.signature.id).toBe(idOf('low'));
    const outbox = await ctx.store.claimNotifications(Math.max(Date.now(), T0) + 10 * HOUR, MINUTE, 10);
    expect(outbox.map((r) => [r.kind, r.key])).toEqual([['diagnosis', String(T0 + 6 * MINUTE)]]);
  });

  test('a failed attempt puts the status back and waits out its backoff; giving up leaves the queue', async () => {
    const a = idOf('a');
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    await ctx.store.recordTriage(a, decision(true, 10, T0));
    await ctx.store.claimInvestigation('w1', T0, MINUTE);
    // Another worker's failure report for it changes nothing.
    await ctx.store.failInvestigation(a, 'w2', { error: 'x', at: T0, nextAttemptAt: T0, giveUp: true });
    expect((await ctx.store.getSignature(a))?.status).toBe('investigating');

    await ctx.store.failInvestigation(a, 'w1', {
      error: 'engine 503',
      at: T0 + 1,
      nextAttemptAt: T0 + 2 * MINUTE,
      giveUp: false,
    });
    expect(await ctx.store.getSignature(a)).toMatchObject({
      status: 'new',
      investigation: { attempts: 1, lastError: 'engine 503', nextAttemptAt: T0 + 2 * MINUTE },
    });
    expect(await ctx.store.claimInvestigation('w1', T0 + MINUTE, MINUTE)).toBeUndefined();
    const retry = await ctx.store.claimInvestigation('w1', T0 + 2 * MINUTE, MINUTE);
    expect(retry).toMatchObject({ attempts: 1 });

    await ctx.store.failInvestigation(a, 'w1', {
      error: 'again',
      at: T0 + 3 * MINUTE,
      nextAttemptAt: T0 + 4 * MINUTE,
      giveUp: true,
    });
    expect(await ctx.store.claimInvestigation('w1', T0 + HOUR, MINUTE)).toBeUndefined();
    const [candidate] = await ctx.store.listTriageCandidates(0, T0 + HOUR, 10);
    expect(candidate?.facts).toMatchObject({ attempts: 2, lastFailureAt: T0 + 3 * MINUTE });
  });

  test('resolving or muting during an investigation keeps that status when the diagnosis lands', async () => {
    const a = idOf('a');
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    await ctx.store.recordTriage(a, decision(true, 10, T0));
    await ctx.store.claimInvestigation('w1', T0, MINUTE);
    await ctx.store.mute(a, { mutedAt: T0 + 1, reason: 'noise' });
    const done = await ctx.store.completeInvestigation(a, 'w1', diagnosis());
    expect(done.status).toBe('muted');
    expect(done.diagnosis).toBeDefined();
  });

  test('the outbox hands a report to one dispatcher at a time and keeps it until finished', async () => {
    const a = idOf('a');
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    expect(await ctx.store.enqueueNotification({ signatureId: a, kind: 'diagnosis', key: 'k1', at: T0 })).toBe(true);
    expect(await ctx.store.enqueueNotification({ signatureId: a, kind: 'diagnosis', key: 'k1', at: T0 })).toBe(false);
    await expect(
      ctx.store.enqueueNotification({ signatureId: 'sig_0000000000000000', kind: 'diagnosis', key: 'k', at: T0 }),
    ).rejects.toMatchObject({ code: 'ROUNDS_NOT_FOUND' });

    const [claimed] = await ctx.store.claimNotifications(T0, MINUTE, 10);
    expect(claimed).toMatchObject({ signatureId: a, kind: 'diagnosis', key: 'k1', attempts: 0 });
    expect(await ctx.store.claimNotifications(T0 + 1, MINUTE, 10)).toEqual([]);
    await ctx.store.deferNotification(claimed!.id, { nextAttemptAt: T0 + 5 * MINUTE, error: 'github 502' });
    expect(await ctx.store.claimNotifications(T0 + 2 * MINUTE, MINUTE, 10)).toEqual([]);
    if (ctx.durable) await ctx.reopen();
    expect(await ctx.store.countPendingNotifications()).toBe(1);
    const [retried] = await ctx.store.claimNotifications(T0 + 5 * MINUTE, MINUTE, 10);
    expect(retried).toMatchObject({ id: claimed!.id, attempts: 1 });
    await ctx.store.finishNotification(retried!.id);
    expect(await ctx.store.countPendingNotifications()).toBe(0);
  });

  test('claims one named signature unless a live lease holds it, and refuses muted or resolved ones', async () => {
    await ctx.store.ingest([fingerprinted({ signature: 'a' }), fingerprinted({ signature: 'm' })]);
    const claim = await ctx.store.claimSignature(idOf('a'), 'cli', T0, MINUTE);
    expect(claim).toMatchObject({ workerId: 'cli', signature: { status: 'investigating' } });
    expect(await ctx.store.claimSignature(idOf('a'), 'daemon', T0 + 1, MINUTE)).toBeUndefined();
    expect(await ctx.store.claimSignature(idOf('a'), 'daemon', T0 + MINUTE, MINUTE)).toMatchObject({
      workerId: 'daemon',
    });
    await ctx.store.mute(idOf('m'), { mutedAt: T0 });
    await expect(ctx.store.claimSignature(idOf('m'), 'cli', T0, MINUTE)).rejects.toMatchObject({
      code: 'ROUNDS_ILLEGAL_TRANSITION',
    });
    await expect(ctx.store.claimSignature('sig_0000000000000000', 'cli', T0, MINUTE)).rejects.toMatchObject({
      code: 'ROUNDS_NOT_FOUND',
    });
  });

  test('finds the samples of every signature in given traces', async () => {
    const shared = 'aaaabbbbccccddddeeeeffff00001111';
    await ctx.store.ingest([
      fingerprinted({ signature: 'a', traceId: shared, timestamp: T0 }),
      fingerprinted({ signature: 'b', traceId: shared, timestamp: T0 + 1000 }),
      fingerprinted({ signature: 'c', traceId: '9999bbbbccccddddeeeeffff00001111', timestamp: T0 }),
    ]);
    const found = await ctx.store.listSamplesInTraces([shared], 10);
    expect(found.map((e) => e.timestamp)).toEqual([T0 + 1000, T0]);
    expect(await ctx.store.listSamplesInTraces([], 10)).toEqual([]);
  });

  test('reset forgets the current diagnosis but keeps the history, unless a live claim is diagnosing it', async () => {
    const a = idOf('a');
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    await ctx.store.addDiagnosis(a, diagnosis());
    await ctx.store.resolve(a, { at: T0, inVersion: '2.0.0' });
    const reset = await ctx.store.resetDiagnosis(a, T0 + 1);
    expect(reset.status).toBe('new');
    expect(reset.diagnosis).toBeUndefined();
    expect(reset.resolution).toBeUndefined();
    expect(await ctx.store.listDiagnoses(a)).toHaveLength(1);

    await ctx.store.claimSignature(a, 'w1', T0 + 2, MINUTE);
    await expect(ctx.store.resetDiagnosis(a, T0 + 3)).rejects.toMatchObject({ code: 'ROUNDS_ILLEGAL_TRANSITION' });
    expect((await ctx.store.resetDiagnosis(a, T0 + 2 + MINUTE)).status).toBe('new');
    await expect(ctx.store.resetDiagnosis('sig_0000000000000000', T0)).rejects.toMatchObject({
      code: 'ROUNDS_NOT_FOUND',
    });
  });

  test('a triage decision made on a state that changed since is dropped', async () => {
    const a = idOf('a');
    await ctx.store.ingest([fingerprinted({ signature: 'a' })]);
    const stale = { status: 'new' as const };
    // Another instance diagnoses it between this instance's read and its decision.
    await ctx.store.recordTriage(a, decision(true, 10, T0));
    await ctx.store.claimInvestigation('other', T0, MINUTE);
    await ctx.store.completeInvestigation(a, 'other', diagnosis({ diagnosedAt: T0 + 1 }));
    expect(await ctx.store.recordTriage(a, decision(true, 50, T0 + 2), stale)).toBe(false);
    expect(await ctx.store.claimInvestigation('me', T0 + 3, MINUTE)).toBeUndefined();
    // A decision on the current state is taken.
    const current = { status: 'diagnosed' as const, lastDiagnosisAt: T0 + 1 };
    expect(await ctx.store.recordTriage(a, decision(false, 0, T0 + 4, 'cooldown'), current)).toBe(true);
    expect((await ctx.store.getSignature(a))?.triage?.reason).toBe('cooldown');
  });
}
