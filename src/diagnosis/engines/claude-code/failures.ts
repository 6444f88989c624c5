/**
 * @module Turns a finished CLI run into the RoundsError that says what went wrong and whether retrying can help.
 * Rate limits, overload, server errors, timeouts and crashes are worth a retry; authentication problems, budget
 * caps, bad requests and output that does not match the schema are not.
 */
import { RoundsError } from '../../../domain/index.js';
import type { ResultEnvelope } from './envelope.js';
import type { RunResult } from './run-process.js';

const STDERR_IN_MESSAGE = 500;
/** What CLI 2.1.197 says in bare mode without ANTHROPIC_API_KEY (it never reads OAuth or the keychain there). */
const NOT_LOGGED_IN = /not logged in|please run \/login|invalid api key/i;

/** Why a run that started produced no diagnosis, or undefined when the envelope reports success. */
export function runFailure(
  run: RunResult,
  envelope: ResultEnvelope | undefined,
  timeoutMs: number,
): RoundsError | undefined {
  if (run.end === 'timeout') {
    return new RoundsError(
      'ROUNDS_TIMEOUT',
      `claude_code: the CLI did not finish within ${timeoutMs} ms and was stopped`,
      {
        retryable: true,
      },
    );
  }
  if (run.end === 'aborted') {
    return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', 'claude_code: the diagnosis was aborted and the CLI stopped', {
      retryable: true,
    });
  }
  if (run.stdoutTruncated) {
    return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', 'claude_code: the CLI printed more output than Rounds accepts');
  }
  if (envelope === undefined) return noEnvelope(run);
  if (envelope.subtype === 'error_max_budget_usd') {
    return new RoundsError(
      'ROUNDS_BUDGET_EXCEEDED',
      `claude_code: the per-diagnosis budget was reached after ${envelope.num_turns ?? '?'} turns ($${envelope.total_cost_usd ?? '?'} spent)`,
    );
  }
  if (envelope.subtype === 'error_max_structured_output_retries') {
    return new RoundsError(
      'ROUNDS_DIAGNOSIS_FAILED',
      'claude_code: the model never produced a diagnosis that matches the schema',
    );
  }
  if (envelope.is_error || envelope.subtype !== 'success') return envelopeError(envelope);
  if (run.exitCode !== 0) {
    return new RoundsError(
      'ROUNDS_DIAGNOSIS_FAILED',
      `claude_code: the CLI reported success but exited ${run.exitCode}`,
      {
        retryable: true,
      },
    );
  }
  return undefined;
}

function noEnvelope(run: RunResult): RoundsError {
  const stderr = tail(run.stderr);
  const how =
    run.exitSignal !== null
      ? `was killed by ${run.exitSignal}`
      : run.exitCode === 0
        ? 'exited 0'
        : `exited ${run.exitCode}`;
  // A crash or kill can be transient; a clean exit without an envelope means this CLI speaks another format.
  return new RoundsError(
    'ROUNDS_DIAGNOSIS_FAILED',
    `claude_code: the CLI ${how} without a JSON result${stderr === '' ? '' : `; stderr: ${stderr}`}`,
    { retryable: run.exitCode !== 0 },
  );
}

function envelopeError(envelope: ResultEnvelope): RoundsError {
  const status = envelope.api_error_status ?? undefined;
  const detail = [envelope.result, ...(envelope.errors ?? [])].filter((s) => s !== undefined && s !== '').join('; ');
  const said = detail === '' ? envelope.subtype : tail(detail);
  if (status === 401 || status === 403) {
    return new RoundsError(
      'ROUNDS_ENGINE_UNAVAILABLE',
      `claude_code: the API rejected the credentials (${status}): ${said}`,
    );
  }
  if (status === undefined && NOT_LOGGED_IN.test(said)) {
    return new RoundsError(
      'ROUNDS_ENGINE_UNAVAILABLE',
      `claude_code: the CLI has no usable API key (${said}); set ANTHROPIC_API_KEY`,
    );
  }
  if (status !== undefined) {
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', `claude_code: API error ${status}: ${said}`, { retryable });
  }
  if (envelope.subtype === 'error_max_turns') {
    return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', `claude_code: the turn limit was reached: ${said}`);
  }
  // error_during_execution and unexplained errors: the CLI hit something at run time, which may not recur.
  return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', `claude_code: the CLI failed: ${said}`, { retryable: true });
}

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= STDERR_IN_MESSAGE ? trimmed : `…${trimmed.slice(-STDERR_IN_MESSAGE)}`;
}
