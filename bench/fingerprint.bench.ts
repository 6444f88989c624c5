/** @module Fingerprint throughput on events with 30-frame traces, against JSON.parse of the same lines. */
import type { ErrorEvent } from '../src/domain/index.js';
import { Fingerprinter } from '../src/fingerprint/index.js';
import { type BenchResult, measure } from './measure.js';
import { syntheticEvents } from './synthetic-events.js';

export function fingerprintBench(): BenchResult[] {
  const events = syntheticEvents(20_000, 400);
  const lines = events.map((e) => JSON.stringify(e));
  const fingerprinter = new Fingerprinter({ includeService: true, inApp: { include: [], exclude: [] } });
  let sink = 0;

  const baseline = measure('JSON.parse of the same lines (baseline)', lines.length, () => {
    for (const line of lines) sink += (JSON.parse(line) as ErrorEvent).message.length;
  });
  const fingerprint = measure('fingerprint (parse trace + template + hash)', events.length, () => {
    for (const event of events) sink += fingerprinter.fingerprint(event).hash.length;
  });
  if (sink === 0) throw new Error('benchmark did no work');
  return [
    baseline,
    {
      ...fingerprint,
      baseline: baseline.name,
      ratio: fingerprint.perSecond / baseline.perSecond,
      target: '>= 100k events/s',
    },
  ];
}
