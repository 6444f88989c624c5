/** @module Reads the stack-trace fixture corpus (test/fixtures/stacktraces/<runtime>/*.txt) for the frame-parser tests. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParsedTrace, RawFrame, RuntimeSupport } from '../../src/fingerprint/frames/types.js';

/** Absolute path of the corpus root; each subdirectory is one runtime. */
export const STACKTRACES = fileURLToPath(new URL('../fixtures/stacktraces/', import.meta.url));

/** One corpus file: `name` is `<runtime>/<file>.txt`. */
export interface CorpusFile {
  name: string;
  text: string;
}

/** The text of one fixture file of a runtime. */
export function fixtureText(runtime: string, name: string): string {
  return readFileSync(join(STACKTRACES, runtime, name), 'utf8');
}

/** Every `.txt` fixture of a runtime, in directory order; empty when the runtime has no directory. */
export function corpus(runtime: string): CorpusFile[] {
  const dir = join(STACKTRACES, runtime);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => ({ name: `${runtime}/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
}

/** The fixtures of every runtime except `runtime`, in directory order. */
export function otherCorpora(runtime: string): CorpusFile[] {
  return readdirSync(STACKTRACES)
    .filter((d) => d !== runtime)
    .flatMap((d) => corpus(d));
}

/** Parses with `runtime`, throwing (with `label`, or the start of the text) when the text does not parse. */
export function parseOrThrow(runtime: RuntimeSupport, text: string, label = text.slice(0, 200)): ParsedTrace {
  const trace = runtime.parse(text);
  if (trace === undefined) throw new Error(`did not parse:\n${label}`);
  return trace;
}

/** The grouping key of each frame, in order. */
export function groupingKeys(runtime: RuntimeSupport, frames: readonly RawFrame[]): string[] {
  return frames.map((f) => runtime.groupingKey(f));
}
