import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RoundsError, type Signature } from '../domain/index.js';
import { DiagnosisQueue, type InvestigationOutcome } from './diagnosis-queue.js';

const logger = pino({ level: 'silent' });

function gated() {
  const gates = new Map<string, (outcome: InvestigationOutcome) => void>();
  const started: string[] = [];
  const diagnose = (id: string) =>
    new Promise<InvestigationOutcome>((resolve) => {
      started.push(id);
      gates.set(id, resolve);
    });
  const finish = (id: string, outcome?: InvestigationOutcome) =>
    gates.get(id)?.(outcome ?? { ok: true, signature: { id } as Signature });
  return { diagnose, finish, started };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DiagnosisQueue', () => {
  it('runs at most `concurrency`, queues up to `maxQueued`, refuses beyond, joins repeats', async () => {
    const { diagnose, finish, started } = gated();
    const queue = new DiagnosisQueue({ diagnose, concurrency: 1, maxQueued: 1, logger });
    const a = queue.submit('a');
    const b = queue.submit('b');
    expect(queue.submit('b')).toMatchObject({ accepted: true, joined: true });
    expect(queue.submit('c')).toEqual({ accepted: false, reason: 'full' });
    await tick();
    expect(started).toEqual(['a']);
    finish('a');
    if (!a.accepted) throw new Error('a was refused');
    expect(await a.done).toMatchObject({ kind: 'diagnosed' });
    await tick();
    expect(started).toEqual(['a', 'b']);
    finish('b', { ok: false, error: new Error('b is being diagnosed by another worker right now') });
    if (!b.accepted) throw new Error('b was refused');
    expect(await b.done).toMatchObject({ kind: 'busy' });
  });

  it('maps thrown lifecycle errors and engine failures', async () => {
    const queue = new DiagnosisQueue({
      diagnose: async (id) => {
        if (id === 'muted') throw new RoundsError('ROUNDS_ILLEGAL_TRANSITION', 'muted');
        if (id === 'gone') throw new RoundsError('ROUNDS_NOT_FOUND', 'gone');
        return { ok: false, error: new Error('engine exploded') };
      },
      concurrency: 3,
      maxQueued: 0,
      logger,
    });
    const kinds: string[] = [];
    for (const id of ['muted', 'gone', 'x']) {
      const submitted = queue.submit(id);
      if (!submitted.accepted) throw new Error(`${id} refused`);
      kinds.push((await submitted.done).kind);
    }
    expect(kinds).toEqual(['refused', 'not_found', 'failed']);
  });

  it('drain drops what has not started and waits for the rest up to the bound', async () => {
    const { diagnose, finish } = gated();
    const queue = new DiagnosisQueue({ diagnose, concurrency: 1, maxQueued: 4, logger });
    queue.submit('a');
    const waiting = queue.submit('b');
    await tick();
    expect(await queue.drain(20)).toBe(false);
    if (!waiting.accepted) throw new Error('b was refused');
    expect(await waiting.done).toMatchObject({ kind: 'cancelled' });
    expect(queue.submit('c')).toEqual({ accepted: false, reason: 'closed' });
    finish('a');
    expect(await queue.drain(1000)).toBe(true);
  });
});
