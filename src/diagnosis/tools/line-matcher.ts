/**
 * @module Finds the lines of a text that match a `search_code` query. Literal queries run inline; regular
 * expressions run in a worker thread that is killed at the deadline, because a model-written pattern can
 * backtrack catastrophically (`(a+)+$`) and JavaScript has no regex timeout: inline, it would stall the daemon.
 */
import { Worker } from 'node:worker_threads';
import { ToolError } from './code-tool.js';

export interface LineMatcher {
  /** 0-based indices of matching lines, at most `limit`; 'timeout' when the deadline (epoch ms) passed first. */
  match(lines: readonly string[], limit: number, deadline: number): Promise<number[] | 'timeout'>;
  close(): Promise<void>;
}

export function literalMatcher(query: string, caseSensitive: boolean): LineMatcher {
  const needle = caseSensitive ? query : query.toLowerCase();
  return {
    async match(lines, limit) {
      const found: number[] = [];
      for (let i = 0; i < lines.length && found.length < limit; i++) {
        const line = lines[i] ?? '';
        if ((caseSensitive ? line : line.toLowerCase()).includes(needle)) found.push(i);
      }
      return found;
    },
    async close() {},
  };
}

// CommonJS on purpose: an `eval` worker runs as a script, which keeps it free of file paths and build steps.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const re = new RegExp(workerData.pattern, workerData.flags);
parentPort.on('message', ({ lines, limit }) => {
  const found = [];
  for (let i = 0; i < lines.length && found.length < limit; i++) {
    if (re.test(lines[i])) found.push(i);
  }
  parentPort.postMessage(found);
});
`;

/** Validates the pattern here (compiling is linear-time) so a syntax error is a clear tool error. */
export function regexMatcher(pattern: string, caseSensitive: boolean): LineMatcher {
  const flags = caseSensitive ? 'u' : 'iu';
  try {
    new RegExp(pattern, flags);
  } catch (error) {
    throw new ToolError(`invalid regular expression: ${(error as Error).message}`);
  }
  let worker: Worker | undefined;
  const start = () => {
    worker ??= new Worker(WORKER_SOURCE, { eval: true, workerData: { pattern, flags } });
    return worker;
  };
  return {
    match(lines, limit, deadline) {
      const current = start();
      return new Promise((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          current.off('message', onMessage);
          current.off('error', onError);
        };
        const onMessage = (found: number[]) => {
          cleanup();
          resolve(found);
        };
        const onError = (error: Error) => {
          cleanup();
          worker = undefined;
          reject(error);
        };
        const timer = setTimeout(
          () => {
            cleanup();
            worker = undefined;
            void current.terminate();
            resolve('timeout');
          },
          Math.max(0, deadline - Date.now()),
        );
        current.on('message', onMessage);
        current.on('error', onError);
        current.postMessage({ lines, limit });
      });
    },
    async close() {
      const current = worker;
      worker = undefined;
      if (current) await current.terminate();
    },
  };
}
