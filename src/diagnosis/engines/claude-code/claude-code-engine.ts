/**
 * @module The `claude_code` diagnosis engine: runs the Claude Code CLI headless, read-only, with the monitored
 * codebase as its working directory, and turns its JSON result into a Diagnosis. The CLI does the tool loop; this
 * engine bounds it (budget flag, timeout, output size), records what it cost, and says clearly why it failed.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type Diagnosis, RoundsError } from '../../../domain/index.js';
import type { CostEntry, DiagnosisEngine, InvestigationContext } from '../../../ports/index.js';
import { type DiagnosisOutput, diagnosisOutputSchema, toDiagnosisFields } from '../../output.js';
import { buildCliArgs, QUIET_ENV } from './cli-args.js';
import { dominantModel, parseEnvelope } from './envelope.js';
import { type DiagnosisOutputSchema, extractOutput, toCliJsonSchema } from './extract-output.js';
import { runFailure } from './failures.js';
import { locateClaudeCli } from './locate-cli.js';
import { type RunResult, runProcess } from './run-process.js';

export interface DiagnosisPrompt {
  readonly system: string;
  readonly user: string;
}

export interface ClaudeCodeEngineOptions {
  /** The `claude` executable. Default: `node_modules/.bin/claude` above this module, then PATH. */
  readonly command?: string;
  /** `CLAUDE_MODEL`: an alias (`sonnet`) or a full model id. */
  readonly model: string;
  /** Per-diagnosis cap in USD (`CLAUDE_CODE_BUDGET_USD`), enforced by the CLI's `--max-budget-usd`. */
  readonly budgetUsd: number;
  /** Whole-run limit (`DIAGNOSIS_TIMEOUT_SECONDS` × 1000); default 300 000. */
  readonly timeoutMs?: number;
  /** The monitored project's source (`CODEBASE_PATH`): the CLI's working directory and all it may read. */
  readonly codebasePath: string;
  /** The environment the CLI inherits; default: this process's. Tests pass a minimal one for isolation. */
  readonly baseEnv?: Readonly<NodeJS.ProcessEnv>;
  /** Set on top of `baseEnv`: ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL (tests), HOME or CLAUDE_CONFIG_DIR. */
  readonly env?: Readonly<Record<string, string>>;
  readonly buildPrompt: (context: InvestigationContext) => DiagnosisPrompt | Promise<DiagnosisPrompt>;
  /** The diagnosis schema, sent as `--json-schema` and checked again here; default: the shared one. */
  readonly outputSchema?: DiagnosisOutputSchema;
  /** Called once for every run that started, whatever its outcome, with the CLI's own `total_cost_usd`. */
  readonly recordCost: (entry: CostEntry) => void | Promise<void>;
  /** Between SIGTERM and SIGKILL on timeout or abort; default 5 000. */
  readonly killGraceMs?: number;
  /** Stdout cap (the JSON result); default 8 MiB. */
  readonly maxStdoutBytes?: number;
  /** Stderr kept (its tail) for error messages; default 64 KiB. */
  readonly maxStderrBytes?: number;
  /** Clock for `diagnosedAt` and cost entries. */
  readonly now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 300_000;
const DEFAULT_KILL_GRACE_MS = 5_000;
const DEFAULT_MAX_STDOUT = 8 * 1024 * 1024;
const DEFAULT_MAX_STDERR = 64 * 1024;
/** Linux refuses a single argument over 128 KiB; the system prompt travels as one. */
const MAX_SYSTEM_PROMPT_BYTES = 120 * 1024;

export class ClaudeCodeDiagnosisEngine implements DiagnosisEngine {
  readonly name = 'claude_code' as const;
  readonly #options: ClaudeCodeEngineOptions;
  readonly #schema: DiagnosisOutputSchema;
  readonly #jsonSchema: Record<string, unknown>;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(options: ClaudeCodeEngineOptions) {
    if (!(options.budgetUsd > 0) || !Number.isFinite(options.budgetUsd)) {
      throw new RoundsError(
        'ROUNDS_INVALID_CONFIG',
        'claude_code: the per-diagnosis budget (CLAUDE_CODE_BUDGET_USD) must be above 0 USD for this engine to run',
      );
    }
    if (options.model.trim() === '') throw new RoundsError('ROUNDS_INVALID_CONFIG', 'claude_code: no model given');
    this.#options = options;
    this.#schema = options.outputSchema ?? diagnosisOutputSchema;
    this.#jsonSchema = toCliJsonSchema(this.#schema);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
  }

  async diagnose(context: InvestigationContext, signal?: AbortSignal): Promise<Diagnosis> {
    if (signal?.aborted) {
      throw new RoundsError('ROUNDS_DIAGNOSIS_FAILED', 'claude_code: aborted before the CLI started', {
        retryable: true,
      });
    }
    const command = this.#options.command ?? locateClaudeCli();
    if (command === undefined) {
      throw new RoundsError(
        'ROUNDS_ENGINE_UNAVAILABLE',
        'claude_code: the Claude Code CLI is not installed (no `claude` in node_modules/.bin or on PATH); ' +
          'install @anthropic-ai/claude-code or choose another DIAGNOSIS_BACKEND',
      );
    }
    const cwd = await this.#codebaseDir();
    const prompt = await this.#options.buildPrompt(context);
    const systemPrompt = `${prompt.system}\n\n${workingNotes(cwd)}`;
    if (Buffer.byteLength(systemPrompt) > MAX_SYSTEM_PROMPT_BYTES) {
      throw new RoundsError('ROUNDS_INVALID_INPUT', 'claude_code: the system prompt is too large for one argument');
    }

    let run: RunResult;
    try {
      run = await runProcess({
        command,
        args: buildCliArgs({
          model: this.#options.model,
          budgetUsd: this.#options.budgetUsd,
          jsonSchema: this.#jsonSchema,
          systemPrompt,
        }),
        cwd,
        env: { ...(this.#options.baseEnv ?? process.env), ...QUIET_ENV, ...this.#options.env },
        stdin: prompt.user,
        timeoutMs: this.#timeoutMs,
        killGraceMs: this.#options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
        maxStdoutBytes: this.#options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT,
        maxStderrBytes: this.#options.maxStderrBytes ?? DEFAULT_MAX_STDERR,
        signal,
      });
    } catch (error) {
      throw startFailure(error, command);
    }

    const envelope = parseEnvelope(run.stdout);
    const model = (envelope && dominantModel(envelope)) ?? this.#options.model;
    let failure = runFailure(run, envelope, this.#timeoutMs);
    let output: DiagnosisOutput | undefined;
    if (failure === undefined && envelope !== undefined) {
      try {
        output = extractOutput(envelope, this.#schema);
      } catch (error) {
        failure = error instanceof RoundsError ? error : new RoundsError('ROUNDS_DIAGNOSIS_FAILED', String(error));
      }
    }
    // A run killed before it printed its result spent money we cannot see; 0 is recorded rather than a guess.
    const costUsd = envelope?.total_cost_usd ?? 0;
    const outcome = failure === undefined ? 'ok' : run.end === 'aborted' ? 'aborted' : 'failed';
    const recorded = this.#record({
      signatureId: context.signature.id,
      engine: this.name,
      model,
      costUsd,
      outcome,
      at: this.#now(),
    });
    if (failure !== undefined || output === undefined) {
      // The diagnosis failure is what the caller needs to hear; a ledger failure surfaces on the next store call.
      await recorded.catch(() => {});
      throw failure ?? new RoundsError('ROUNDS_DIAGNOSIS_FAILED', 'claude_code: no result');
    }
    await recorded;
    return {
      ...toDiagnosisFields(output),
      model,
      engine: this.name,
      costUsd,
      diagnosedAt: this.#now(),
    };
  }

  async #record(entry: CostEntry): Promise<void> {
    await this.#options.recordCost(entry);
  }

  async #codebaseDir(): Promise<string> {
    const dir = path.resolve(this.#options.codebasePath);
    const info = await stat(dir).catch(() => undefined);
    if (info?.isDirectory() !== true) {
      throw new RoundsError('ROUNDS_INVALID_CONFIG', `claude_code: the codebase path ${dir} is not a directory`);
    }
    return dir;
  }
}

/** What the model needs to know about this harness; the prompt builder knows nothing of the CLI. */
function workingNotes(cwd: string): string {
  return [
    '## Working environment',
    `The working directory is the monitored codebase: ${cwd}.`,
    'Read its files with the Read tool (paths relative to it, or absolute paths inside it). Files outside it are',
    'not readable. You cannot edit files or run commands.',
    'When you have the diagnosis, call the StructuredOutput tool once with it.',
  ].join('\n');
}

function startFailure(error: unknown, command: string): RoundsError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    return new RoundsError(
      'ROUNDS_ENGINE_UNAVAILABLE',
      `claude_code: the Claude Code CLI was not found at ${command}; install @anthropic-ai/claude-code`,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new RoundsError('ROUNDS_ENGINE_UNAVAILABLE', `claude_code: ${command} is not executable`, { cause: error });
  }
  return new RoundsError('ROUNDS_DIAGNOSIS_FAILED', `claude_code: could not start ${command}: ${String(error)}`, {
    retryable: true,
    cause: error,
  });
}
