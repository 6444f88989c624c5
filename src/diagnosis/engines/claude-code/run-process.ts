/**
 * @module Runs one CLI process to completion: feeds stdin, captures bounded stdout/stderr, and ends the process
 * (SIGTERM, then SIGKILL after a grace period) on timeout or abort. Knows nothing about Claude Code.
 */
import { spawn } from 'node:child_process';

export interface RunRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: string;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  readonly maxStdoutBytes: number;
  readonly maxStderrBytes: number;
  readonly signal?: AbortSignal | undefined;
}

export type RunEnd = 'exited' | 'timeout' | 'aborted';

export interface RunResult {
  readonly end: RunEnd;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  readonly stdout: string;
  /** The last `maxStderrBytes` of stderr: the end is where CLIs say why they failed. */
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly durationMs: number;
}

/** Rejects only when the process could not be started (e.g. ENOENT, EACCES); every run that started resolves. */
export function runProcess(request: RunRequest): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    if (request.signal?.aborted) {
      resolve(emptyResult('aborted', started));
      return;
    }
    const child = spawn(request.command, [...request.args], {
      cwd: request.cwd,
      env: request.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });

    const stdout = new BoundedHead(request.maxStdoutBytes);
    const stderr = new BoundedTail(request.maxStderrBytes);
    let stoppedFor: Exclude<RunEnd, 'exited'> | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const stop = (reason: Exclude<RunEnd, 'exited'>) => {
      if (stoppedFor !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      stoppedFor = reason;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), request.killGraceMs);
      killTimer.unref();
    };
    const timeout = setTimeout(() => stop('timeout'), request.timeoutMs);
    const onAbort = () => stop('aborted');
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timeout);
      if (killTimer !== undefined) clearTimeout(killTimer);
      request.signal?.removeEventListener('abort', onAbort);
    };

    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A CLI that exits before reading its whole prompt makes the write fail with EPIPE; its exit says why.
    child.stdin.on('error', () => {});
    child.on('error', (error) => {
      // Only a failed start rejects; a later error (a failed kill) is followed by 'close' anyway.
      if (child.pid !== undefined) return;
      cleanup();
      reject(error);
    });
    child.on('close', (exitCode, exitSignal) => {
      cleanup();
      resolve({
        end: stoppedFor ?? 'exited',
        exitCode,
        exitSignal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        durationMs: Date.now() - started,
      });
    });
    child.stdin.end(request.stdin);
  });
}

function emptyResult(end: RunEnd, started: number): RunResult {
  return {
    end,
    exitCode: null,
    exitSignal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    durationMs: Date.now() - started,
  };
}

/** Keeps the first `limit` bytes. */
class BoundedHead {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;
  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.#size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(kept);
    this.#size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/** Keeps the last `limit` bytes. */
class BoundedTail {
  #chunks: Buffer[] = [];
  #size = 0;
  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size > this.limit * 2) this.#compact();
  }

  text(): string {
    this.#compact();
    return Buffer.concat(this.#chunks).toString('utf8');
  }

  #compact(): void {
    const all = Buffer.concat(this.#chunks);
    const kept = all.length > this.limit ? all.subarray(all.length - this.limit) : all;
    this.#chunks = [kept];
    this.#size = kept.length;
  }
}
