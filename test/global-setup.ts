/** @module Builds dist/ once before the suite, so tests that spawn the real `rounds` binary run current code. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function setup(): void {
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'pipe' });
  } catch (error) {
    // tsc still emits JavaScript when it finds type errors; `npm run typecheck` is what fails on them, so the
    // suite goes on and reports behaviour rather than stopping at the first type error.
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    process.stderr.write(`global setup: tsc reported errors (the suite continues):\n${output.slice(0, 2000)}\n`);
  }
}
