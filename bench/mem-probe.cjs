/**
 * Preloaded into the bench's daemon with BENCH_MEM_PROBE=1 (`node --require bench/mem-probe.cjs`): samples
 * process.memoryUsage() and V8's heap spaces every 25 ms and writes the samples to ./mem-probe.json (the daemon's
 * working directory, a temporary one) when the process exits. Diagnostics only; never loaded by `npm start`.
 */
const fs = require('node:fs');
const v8 = require('node:v8');

const samples = [];
const timer = setInterval(() => {
  const memory = process.memoryUsage();
  const spaces = {};
  for (const space of v8.getHeapSpaceStatistics()) {
    spaces[space.space_name] = [space.space_size, space.space_used_size];
  }
  samples.push({ ...memory, spaces });
}, 25);
timer.unref();

process.on('exit', () => {
  try {
    fs.writeFileSync('mem-probe.json', JSON.stringify(samples));
  } catch {
    // a diagnostic must never change how the daemon ends
  }
});
