/** @module Fingerprint throughput on events with 30-frame traces, against JSON.parse of the same lines. */
import type { ErrorEvent } from '../src/domain/index.js';
import { Fingerprinter } from '../src/fingerprint/index.js';
import { type BenchResult, measure } from './measure.js';
import { syntheticEvents } from './synthetic-events.js';

const EVENTS = 20_000;

/**
 * Events are parsed from JSON lines before each round, so every event carries its own string instances as
 * they do when they arrive over the wire (a shared string would hide the cost of hashing trace text).
 */
function scenario(name: string, lines: readonly string[]): BenchResult {
  const fingerprinter = new Fingerprinter({ includeService: true, inApp: { include: [], exclude: [] } });
  let sink = 0;
  const result = measure(
    name,
    lines.length,
    () => lines.map((line) => JSON.parse(line) as ErrorEvent),
    (events) => {
      for (const event of events) sink += fingerprinter.fingerprint(event).hash.length;
    },
  );
  if (sink === 0) throw new Error('benchmark did no work');
  return result;
}

export function fingerprintBench(): BenchResult[] {
  const repeating = syntheticEvents(EVENTS, 400).map((e) => JSON.stringify(e));
  const distinct = syntheticEvents(EVENTS, EVENTS).map((e) => JSON.stringify(e));
  let sink = 0;
  const baseline = measure(
    'JSON.parse of the same lines (baseline)',
    repeating.length,
    () => repeating,
    (lines) => {
      for (const line of lines) sink += (JSON.parse(line) as ErrorEvent).message.length;
    },
  );
  if (sink === 0) throw new Error('benchmark did no work');
  const compare = (result: BenchResult): BenchResult => ({
    ...result,
    baseline: baseline.name,
    ratio: result.perSecond / baseline.perSecond,
    target: '>= 100k events/s',
  });
  return [
    baseline,
    compare(scenario('fingerprint, 400 crash sites repeating (typical traffic)', repeating)),
    compare(scenario('fingerprint, every trace distinct (worst case: no trace is seen twice)', distinct)),
  ];
}
