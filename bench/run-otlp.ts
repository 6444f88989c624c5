/** @module `npx tsx bench/run-otlp.ts`: only the OTLP end-to-end bench, printed, docs/benchmarks.md untouched. */
import { otlpEndToEndBench } from './otlp-e2e.bench.js';

for (const result of await otlpEndToEndBench()) {
  const rate = Math.round(result.perSecond).toLocaleString('en-US').padStart(11);
  const ratio = result.ratio === undefined ? '' : ` (${(result.ratio * 100).toFixed(1)}% of baseline)`;
  process.stdout.write(`${rate} ${result.unit ?? '/s'}${ratio} | ${result.name}\n`);
}
