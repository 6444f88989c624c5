/**
 * @module A stand-in `claude` executable for unit tests: a small node script, written to a temp dir, that records
 * how it was called (argv, cwd, stdin, environment) and then prints, exits, or hangs as the test scripted.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface FakeClaudeBehaviour {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Never exits by itself. */
  hang?: boolean;
  /** Ignores SIGTERM, so only SIGKILL ends it. */
  ignoreSigterm?: boolean;
}

export interface FakeClaudeCall {
  argv: string[];
  cwd: string;
  stdin: string;
  env: Record<string, string>;
  pid: number;
}

export interface FakeClaude {
  readonly command: string;
  /** The temp dir holding the script and its record; the test removes it. */
  readonly dir: string;
  /** The call the script recorded, once it has read its stdin. */
  lastCall(): FakeClaudeCall;
}

export function writeFakeClaude(behaviour: FakeClaudeBehaviour): FakeClaude {
  const dir = mkdtempSync(path.join(tmpdir(), 'rounds-fake-claude-'));
  const command = path.join(dir, 'claude');
  const callFile = path.join(dir, 'call.json');
  const script = `#!${process.execPath}
const fs = require('node:fs');
const behaviour = ${JSON.stringify(behaviour)};
if (behaviour.ignoreSigterm) process.on('SIGTERM', () => {});
let stdin = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { stdin += chunk; });
process.stdin.on('end', () => {
  const call = { argv: process.argv.slice(2), cwd: process.cwd(), stdin, env: process.env, pid: process.pid };
  fs.writeFileSync(${JSON.stringify(callFile)}, JSON.stringify(call));
  if (behaviour.stderr) process.stderr.write(behaviour.stderr);
  if (behaviour.hang) { setInterval(() => {}, 1000); return; }
  process.stdout.write(behaviour.stdout ?? '', () => process.exit(behaviour.exitCode ?? 0));
});
`;
  writeFileSync(command, script);
  chmodSync(command, 0o755);
  return {
    command,
    dir,
    lastCall: () => JSON.parse(readFileSync(callFile, 'utf8')) as FakeClaudeCall,
  };
}

/** A `--output-format json` result envelope, with the fields CLI 2.1.197 prints, overridable per test. */
export function envelope(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'result',
    subtype: 'success',
    is_error: false,
    api_error_status: null,
    duration_ms: 1200,
    duration_api_ms: 900,
    num_turns: 3,
    result: '',
    stop_reason: 'tool_use',
    session_id: '00000000-0000-4000-8000-000000000000',
    total_cost_usd: 0.0123,
    usage: { input_tokens: 2000, output_tokens: 300, cache_read_input_tokens: 0 },
    modelUsage: { 'claude-sonnet-4-5': { inputTokens: 2000, outputTokens: 300, costUSD: 0.0123 } },
    permission_denials: [],
    terminal_reason: 'completed',
    fast_mode_state: 'off',
    uuid: '11111111-1111-4111-8111-111111111111',
    ...fields,
  });
}
