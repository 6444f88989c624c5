import { describe, expect, it } from 'vitest';
import { selectCorrelatedLogs } from './correlated-logs.js';

const samples = [{ timestamp: 100_000, service: 'orders', traceId: 't1' }];

describe('selectCorrelatedLogs', () => {
  it('keeps same-trace logs first, then same-service logs inside the window, in time order', () => {
    const logs = selectCorrelatedLogs(
      [
        { timestamp: 150_000, body: 'near, same service', service: 'orders' },
        { timestamp: 99_000, body: 'same trace', traceId: 't1', severity: 'ERROR' },
        { timestamp: 500_000, body: 'too late', service: 'orders' },
        { timestamp: 100_500, body: 'other service', service: 'billing' },
        { timestamp: 100_100, body: 'no service, in window' },
      ],
      samples,
    );
    expect(logs.map((l) => [l.body, l.correlation])).toEqual([
      ['same trace', 'trace'],
      ['no service, in window', 'time-window'],
      ['near, same service', 'time-window'],
    ]);
  });

  it('bounds the count and the body length', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({
      timestamp: 100_000 + i,
      body: 'x'.repeat(2000),
      traceId: 't1',
    }));
    const logs = selectCorrelatedLogs(many, samples, { maxLogs: 3, maxBodyChars: 100 });
    expect(logs).toHaveLength(3);
    expect(logs[0]?.body).toHaveLength(100);
  });
});
