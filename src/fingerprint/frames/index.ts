/** @module Picks the runtime for a stack trace (from the SDK's language when known, else by detection) and parses it. */
import type { Language } from '../../domain/index.js';
import { dotnet } from './dotnet.js';
import { go } from './go.js';
import { jvm } from './jvm.js';
import { node } from './node.js';
import { php } from './php.js';
import { python } from './python.js';
import { ruby } from './ruby.js';
import type { ParsedTrace, RuntimeSupport } from './types.js';

export type { ParsedException, ParsedTrace, RawFrame, RuntimeSupport } from './types.js';

export const RUNTIMES: readonly RuntimeSupport[] = [python, jvm, node, go, dotnet, ruby, php];

const BY_LANGUAGE = new Map<Language, RuntimeSupport>(RUNTIMES.map((runtime) => [runtime.language, runtime]));

/** `telemetry.sdk.language` values (and a few common spellings) mapped to the runtime that parses their traces. */
const LANGUAGE_ALIASES: Readonly<Record<string, Language>> = {
  python: 'python',
  java: 'java',
  kotlin: 'java',
  scala: 'java',
  jvm: 'java',
  nodejs: 'node',
  node: 'node',
  javascript: 'node',
  typescript: 'node',
  webjs: 'node',
  go: 'go',
  golang: 'go',
  dotnet: 'dotnet',
  csharp: 'dotnet',
  'c#': 'dotnet',
  ruby: 'ruby',
  php: 'php',
};

/** Below this detection score a trace is treated as an unknown format rather than forced through a parser. */
const MIN_DETECTION_SCORE = 0.3;

export function languageFromHint(hint: string | undefined): Language {
  if (hint === undefined) return 'unknown';
  return LANGUAGE_ALIASES[hint.trim().toLowerCase()] ?? 'unknown';
}

export function runtimeFor(language: Language): RuntimeSupport | undefined {
  return BY_LANGUAGE.get(language);
}

/** Never throws: text that no runtime recognises yields undefined (the caller groups by message). */
export function parseStackTrace(text: string, languageHint?: string): ParsedTrace | undefined {
  if (text.trim() === '') return undefined;
  const hinted = runtimeFor(languageFromHint(languageHint));
  if (hinted !== undefined) {
    const parsed = safeParse(hinted, text);
    if (parsed !== undefined) return parsed;
  }
  // The hint can be wrong (a Java service logging a Python worker's trace); detection decides then.
  let best: RuntimeSupport | undefined;
  let bestScore = MIN_DETECTION_SCORE;
  for (const runtime of RUNTIMES) {
    if (runtime === hinted) continue;
    const score = runtime.detect(text);
    if (score > bestScore) {
      best = runtime;
      bestScore = score;
    }
  }
  return best === undefined ? undefined : safeParse(best, text);
}

function safeParse(runtime: RuntimeSupport, text: string): ParsedTrace | undefined {
  try {
    const parsed = runtime.parse(text);
    return parsed !== undefined && parsed.exceptions.length > 0 ? parsed : undefined;
  } catch {
    // A parser bug must cost grouping precision, never the event.
    return undefined;
  }
}
