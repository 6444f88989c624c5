/** @module `npm run bench`: runs every scenario, prints the table and writes docs/benchmarks.md. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fingerprintBench } from './fingerprint.bench.js';
import { ingestBench } from './ingest.bench.js';
import type { BenchResult } from './measure.js';
import { otlpEndToEndBench, startScriptFlags } from './otlp-e2e.bench.js';

function row(result: BenchResult): string {
  const ratio = result.ratio === undefined ? '' : `${(result.ratio * 100).toFixed(1)}% of baseline`;
  return `| ${result.name} | ${Math.round(result.perSecond).toLocaleString('en-US')} ${result.unit ?? '/s'} | ${ratio} | ${result.target ?? ''} |`;
}

const sections: { title: string; note?: string; results: BenchResult[] }[] = [];
sections.push({ title: 'Fingerprinting (events with 30-frame traces)', results: fingerprintBench() });
sections.push({ title: 'SQLite ingest (100k events)', results: await ingestBench() });
sections.push({
  title: 'OTLP end to end (512-span requests into SQLite)',
  note:
    `A real \`rounds daemon\` (dist/, built first) in its own process, started as \`npm start\` does (\`node ${startScriptFlags().join(' ')}\`); 4 requests in flight from the bench process. ` +
    "Rates are spans sent per second of the daemon's own CPU time (utime + stime from /proc), after a warm-up; " +
    'the floor is a bare WireReader scan of the same requests in the bench process. ' +
    'Each scenario runs in a daemon of its own, started fresh (1 CPU-s of warm-up, then 10 CPU-s timed). ' +
    "The < 150 MB target for peak RSS under sustained load is judged on each target scenario's own peak: " +
    'the VmHWM of its daemon (from /proc/<pid>/status, warm-up included) in the "peak RSS (VmHWM)" rows; ' +
    'the "largest of the target scenarios\' own peaks" row is the one number to hold against it. ' +
    'HTTP/JSON has no target. About 49 MB of any peak is the node binary and its libraries (an idle daemon: ~93 MB).',
  results: await otlpEndToEndBench(),
});

const header = [
  '# Benchmarks',
  '',
  'Written by `npm run bench`; do not edit by hand. Median of timed runs after a warm-up, one JS thread.',
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
  '',
];
const body = sections.flatMap((section) => [
  `## ${section.title}`,
  '',
  ...(section.note === undefined ? [] : [section.note, '']),
  '| scenario | rate | vs baseline | target |',
  '| --- | --- | --- | --- |',
  ...section.results.map(row),
  '',
]);
const text = [...header, ...body].join('\n');
process.stdout.write(`${text}\n`);
mkdirSync('docs', { recursive: true });
writeFileSync('docs/benchmarks.md', text);
