import { describe, expect, it } from 'vitest';
import type { ErrorEvent } from '../../domain/index.js';
import type { IngestSummary } from '../../ports/index.js';
import { GroupCommit } from './group-commit.js';

function event(id: string, traceId?: string): ErrorEvent {
  return {
    eventId: id,
    ...(traceId === undefined ? {} : { traceId }),
    service: 'checkout',
    errorType: 'PaymentDeclined',
    message: `card ${id} declined`,
    timestamp: 1_780_000_000_000,
    attributes: {},
    source: 'otlp',
  };
}

function summary(overrides: Partial<IngestSummary> = {}): IngestSummary {
  return { new: [], updated: [], duplicates: 0, sampledTraceIds: [], failed: [], ...overrides };
}

/** A sink that records each call and lets the test decide when (and how) each one ends. */
class ControlledSink {
  readonly calls: ErrorEvent[][] = [];
  private readonly endings: { resolve(s: IngestSummary): void; reject(e: unknown): void }[] = [];

  readonly ingest = (events: readonly ErrorEvent[]): Promise<IngestSummary> => {
    this.calls.push([...events]);
    return new Promise((resolve, reject) => this.endings.push({ resolve, reject }));
  };

  resolve(call: number, result: IngestSummary = summary()): void {
    this.endings[call]!.resolve(result);
  }

  reject(call: number, error: unknown): void {
    this.endings[call]!.reject(error);
  }
}

/** Lets setImmediate callbacks (where groups are committed) and the promise chains after them run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function settled<T>(promise: Promise<T>): { done: boolean } {
  const state = { done: false };
  promise.then(
    () => {
      state.done = true;
    },
    () => {
      state.done = true;
    },
  );
  return state;
}

describe('GroupCommit', () => {
  it('stores a lone request in one call and answers with its summary', async () => {
    const result = summary({ new: ['sig_1'], sampledTraceIds: ['t1'] });
    const commits = new GroupCommit(async () => result);
    await expect(commits.submit([event('a', 't1')])).resolves.toEqual(result);
    expect(commits.stats()).toEqual({ groups: 1, requests: 1 });
  });

  it('shares one call between requests ready in the same turn, each getting its own failed indexes and sampled traces', async () => {
    const sink = new ControlledSink();
    const commits = new GroupCommit(sink.ingest);
    const first = commits.submit([event('a1', 't1'), event('a2', 't2')]);
    const second = commits.submit([event('b1', 't3'), event('b2', 't1'), event('b3')]);
    await turn();
    expect(sink.calls.map((call) => call.map((e) => e.eventId))).toEqual([['a1', 'a2', 'b1', 'b2', 'b3']]);
    sink.resolve(
      0,
      summary({
        new: ['sig_1'],
        duplicates: 1,
        sampledTraceIds: ['t1', 't3'],
        failed: [
          { index: 1, reason: 'eventId is empty' },
          { index: 4, reason: 'service is blank' },
        ],
      }),
    );
    const [a, b] = await Promise.all([first, second]);
    expect(a.failed).toEqual([{ index: 1, reason: 'eventId is empty' }]);
    expect(b.failed).toEqual([{ index: 2, reason: 'service is blank' }]);
    expect(a.sampledTraceIds).toEqual(['t1']);
    expect(b.sampledTraceIds.sort()).toEqual(['t1', 't3']);
    // Which request created a signature is not known once they share a batch: both see the group's.
    expect(a.new).toEqual(['sig_1']);
    expect(b.duplicates).toBe(1);
    expect(commits.stats()).toEqual({ groups: 1, requests: 2 });
  });

  it('answers nobody before the shared call resolves, and groups what arrives meanwhile into the next call', async () => {
    const sink = new ControlledSink();
    const commits = new GroupCommit(sink.ingest);
    const first = settled(commits.submit([event('a')]));
    await turn();
    expect(sink.calls).toHaveLength(1);
    const second = settled(commits.submit([event('b')]));
    const third = settled(commits.submit([event('c')]));
    await turn();
    // The first commit is still running: the others wait for it rather than starting a second transaction.
    expect(sink.calls).toHaveLength(1);
    expect(first.done).toBe(false);
    sink.resolve(0);
    await turn();
    expect(first.done).toBe(true);
    expect(second.done).toBe(false);
    await turn();
    expect(sink.calls.map((call) => call.map((e) => e.eventId))).toEqual([['a'], ['b', 'c']]);
    sink.resolve(1);
    await turn();
    expect(second.done && third.done).toBe(true);
  });

  it('rejects every request of a group whose store call fails, and keeps serving later groups', async () => {
    const sink = new ControlledSink();
    const commits = new GroupCommit(sink.ingest);
    const storeDown = new Error('SQLITE_IOERR: disk I/O error');
    const first = commits.submit([event('a')]);
    const second = commits.submit([event('b'), event('c')]);
    await turn();
    sink.reject(0, storeDown);
    await expect(first).rejects.toBe(storeDown);
    await expect(second).rejects.toBe(storeDown);

    const later = commits.submit([event('d')]);
    await turn();
    sink.resolve(1);
    await expect(later).resolves.toEqual(summary());
    expect(sink.calls).toHaveLength(2);
  });

  it('rejects the group when the sink throws instead of rejecting', async () => {
    const commits = new GroupCommit(() => {
      throw new Error('store closed');
    });
    await expect(commits.submit([event('a')])).rejects.toThrow('store closed');
  });

  it('bounds a group by events and by bytes; a request over the bounds alone still gets a group', async () => {
    const calls: string[][] = [];
    const commits = new GroupCommit(
      async (events) => {
        calls.push(events.map((e) => e.eventId));
        return summary();
      },
      { maxEvents: 3, maxBytes: 1000 },
    );
    await Promise.all([
      commits.submit([event('a1'), event('a2')], 100),
      commits.submit([event('b1')], 100), // fits: 3 events
      commits.submit([event('c1')], 100), // a 4th event: next group
      commits.submit([event('d1')], 950), // 1050 bytes with c1: next group
      commits.submit([event('e1'), event('e2'), event('e3'), event('e4')], 5000), // over both bounds on its own
    ]);
    expect(calls).toEqual([['a1', 'a2', 'b1'], ['c1'], ['d1'], ['e1', 'e2', 'e3', 'e4']]);
  });

  it('refuses limits that could never admit an event', () => {
    expect(() => new GroupCommit(async () => summary(), { maxEvents: 0, maxBytes: 1 })).toThrow(RangeError);
  });

  it('builds pending events only when their group is committed, and rejects alone a request whose events fail to build', async () => {
    const sink = new ControlledSink();
    const commits = new GroupCommit(sink.ingest);
    let built = 0;
    const pending = (ids: string[]) => ({
      pendingCount: ids.length,
      errorEvents: () => {
        built++;
        return ids.map((id) => event(id, `t-${id}`));
      },
    });
    const first = commits.submit(pending(['a1', 'a2']));
    const broken = commits.submit({
      pendingCount: 1,
      errorEvents: () => {
        throw new Error('malformed error span');
      },
    });
    const brokenResult = expect(broken).rejects.toThrow('malformed error span');
    const third = commits.submit([event('c1', 't-c1')]);
    expect(built).toBe(0);
    await turn();
    expect(built).toBe(1);
    await brokenResult;
    expect(sink.calls.map((call) => call.map((e) => e.eventId))).toEqual([['a1', 'a2', 'c1']]);
    sink.resolve(0, summary({ sampledTraceIds: ['t-a2', 't-c1'], failed: [{ index: 2, reason: 'bad' }] }));
    const [a, c] = await Promise.all([first, third]);
    expect(a.sampledTraceIds).toEqual(['t-a2']);
    expect(c.failed).toEqual([{ index: 0, reason: 'bad' }]);
  });

  it('counts pending events against the group bound', async () => {
    const sink = new ControlledSink();
    const commits = new GroupCommit(sink.ingest, { maxEvents: 3, maxBytes: 1_000_000 });
    const pending = (ids: string[]) => ({ pendingCount: ids.length, errorEvents: () => ids.map((id) => event(id)) });
    void commits.submit(pending(['a1', 'a2']));
    void commits.submit(pending(['b1', 'b2']));
    await turn();
    sink.resolve(0);
    await turn();
    await turn();
    expect(sink.calls.map((call) => call.map((e) => e.eventId))).toEqual([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ]);
  });
});
