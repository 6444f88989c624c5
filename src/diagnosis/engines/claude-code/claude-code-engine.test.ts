/**
 * @module Unit tests for the claude_code engine against a fake `claude` script: argument and environment passing,
 * envelope parsing, failure mapping, cost recording, output bounds, and killing on timeout and abort.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envelope, type FakeClaudeBehaviour, writeFakeClaude } from '../../../../test/helpers/fake-claude-cli.js';
import { RoundsError, type Signature } from '../../../domain/index.js';
import type { CostEntry, InvestigationContext } from '../../../ports/index.js';
import { ClaudeCodeDiagnosisEngine, type ClaudeCodeEngineOptions } from './claude-code-engine.js';
import { locateClaudeCli } from './locate-cli.js';

const ANSWER = {
  root_cause: 'parseOrder reads order.customer.id without checking that customer is set.',
  evidence: [
    { description: 'The frame that throws dereferences customer.', reference: 'src/orders.ts:12' },
    { description: 'Guest checkouts have no customer.' },
  ],
  suggested_fix: 'Handle guest orders before reading customer.id.',
  confidence: 'high',
};

const context: InvestigationContext = { signature: { id: 'sig_0123456789abcdef' } as Signature, samples: [] };

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function fakeClaude(behaviour: FakeClaudeBehaviour) {
  const fake = writeFakeClaude(behaviour);
  tempDirs.push(fake.dir);
  return fake;
}

function setup(behaviour: FakeClaudeBehaviour, options: Partial<ClaudeCodeEngineOptions> = {}) {
  const fake = fakeClaude(behaviour);
  const codebase = tempDir('rounds-codebase-');
  const costs: CostEntry[] = [];
  const engine = new ClaudeCodeDiagnosisEngine({
    command: fake.command,
    model: 'sonnet',
    budgetUsd: 0.75,
    codebasePath: codebase,
    env: { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' },
    buildPrompt: () => ({ system: 'You diagnose production errors.', user: 'The evidence: TypeError in parseOrder' }),
    recordCost: (entry) => {
      costs.push(entry);
    },
    now: () => 1_800_000_000_000,
    ...options,
  });
  return { fake, codebase, costs, engine };
}

async function failure(promise: Promise<unknown>): Promise<RoundsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RoundsError);
  return error as RoundsError;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ClaudeCodeDiagnosisEngine', () => {
  it('runs the CLI headless and read-only in the codebase, and maps structured_output to a diagnosis', async () => {
    const out = envelope({
      structured_output: ANSWER,
      result: JSON.stringify(ANSWER),
      modelUsage: { 'claude-sonnet-4-5-20250929': { inputTokens: 2000, outputTokens: 300, costUSD: 0.0123 } },
      some_future_field: { nested: true },
    });
    const { fake, codebase, costs, engine } = setup({ stdout: out });

    const diagnosis = await engine.diagnose(context);

    expect(diagnosis).toEqual({
      rootCause: ANSWER.root_cause,
      evidence: [
        { description: 'The frame that throws dereferences customer.', reference: 'src/orders.ts:12' },
        { description: 'Guest checkouts have no customer.' },
      ],
      suggestedFix: ANSWER.suggested_fix,
      confidence: 'high',
      model: 'claude-sonnet-4-5-20250929',
      engine: 'claude_code',
      costUsd: 0.0123,
      diagnosedAt: 1_800_000_000_000,
    });
    expect(costs).toEqual([
      {
        signatureId: 'sig_0123456789abcdef',
        engine: 'claude_code',
        model: 'claude-sonnet-4-5-20250929',
        costUsd: 0.0123,
        outcome: 'ok',
        at: 1_800_000_000_000,
      },
    ]);

    const call = fake.lastCall();
    expect(call.cwd).toBe(codebase);
    expect(call.stdin).toBe('The evidence: TypeError in parseOrder');
    expect(call.argv).toEqual(
      expect.arrayContaining([
        '-p',
        '--output-format=json',
        '--bare',
        '--no-session-persistence',
        '--model=sonnet',
        '--tools=Read,Grep,Glob',
        '--max-budget-usd=0.75',
      ]),
    );
    const flag = (name: string) => call.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
    expect(flag('--disallowedTools')?.split(',')).toEqual(expect.arrayContaining(['Bash', 'Edit', 'Write']));
    const schema = JSON.parse(flag('--json-schema') ?? '{}') as { required?: string[] };
    expect(schema.required).toEqual(['root_cause', 'evidence', 'suggested_fix', 'confidence']);
    expect(flag('--system-prompt')).toContain('You diagnose production errors.');
    expect(flag('--system-prompt')).toContain(`The working directory is the monitored codebase: ${codebase}.`);
    expect(call.env).toMatchObject({
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
    });
  });

  it('takes the diagnosis from the result text when there is no structured_output', async () => {
    const result = `Here is what I found:\n\n\`\`\`json\n${JSON.stringify(ANSWER, null, 2)}\n\`\`\`\n`;
    const { engine } = setup({ stdout: envelope({ result }) });
    const diagnosis = await engine.diagnose(context);
    expect(diagnosis.rootCause).toBe(ANSWER.root_cause);
    expect(diagnosis.model).toBe('claude-sonnet-4-5');
  });

  it('finds the result line after a warning the CLI printed first', async () => {
    const { engine } = setup({ stdout: `Warning: something minor\n${envelope({ structured_output: ANSWER })}\n` });
    expect((await engine.diagnose(context)).confidence).toBe('high');
  });

  it('accepts an async prompt builder', async () => {
    const { engine, fake } = setup(
      { stdout: envelope({ structured_output: ANSWER }) },
      { buildPrompt: async () => ({ system: 'sys', user: 'async user prompt' }) },
    );
    await engine.diagnose(context);
    expect(fake.lastCall().stdin).toBe('async user prompt');
  });

  it('fails cleanly on output that does not match the schema, and still records the cost', async () => {
    const { engine, costs } = setup({
      stdout: envelope({ structured_output: { root_cause: 'x', confidence: 'certain' }, result: 'not json' }),
    });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe('ROUNDS_DIAGNOSIS_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('does not match the diagnosis schema');
    expect(error.message).toContain('confidence');
    expect(costs).toMatchObject([{ outcome: 'failed', costUsd: 0.0123 }]);
  });

  it('fails when the answer has no JSON at all', async () => {
    const { engine } = setup({ stdout: envelope({ result: 'I could not find the bug.' }) });
    const error = await failure(engine.diagnose(context));
    expect(error.message).toContain('no structured output and no JSON');
  });

  it.each([
    [429, 'ROUNDS_DIAGNOSIS_FAILED', true],
    [529, 'ROUNDS_DIAGNOSIS_FAILED', true],
    [500, 'ROUNDS_DIAGNOSIS_FAILED', true],
    [400, 'ROUNDS_DIAGNOSIS_FAILED', false],
    [401, 'ROUNDS_ENGINE_UNAVAILABLE', false],
  ] as const)('maps API error %i to %s (retryable: %s)', async (status, code, retryable) => {
    const { engine, costs } = setup({
      stdout: envelope({ is_error: true, api_error_status: status, result: `API Error: ${status} scripted` }),
      exitCode: 1,
    });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(`${status}`);
    expect(costs).toMatchObject([{ outcome: 'failed' }]);
  });

  it('reports a missing API key as an unavailable engine', async () => {
    const { engine } = setup({
      stdout: envelope({ is_error: true, result: 'Not logged in · Please run /login', total_cost_usd: 0 }),
      exitCode: 1,
    });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe('ROUNDS_ENGINE_UNAVAILABLE');
    expect(error.message).toContain('ANTHROPIC_API_KEY');
  });

  it('reports the budget cap with what was spent', async () => {
    const { engine, costs } = setup({
      stdout: envelope({
        subtype: 'error_max_budget_usd',
        is_error: true,
        total_cost_usd: 0.81,
        errors: ['Reached maximum budget ($0.75)'],
      }),
      exitCode: 1,
    });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe('ROUNDS_BUDGET_EXCEEDED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('0.81');
    expect(costs).toMatchObject([{ outcome: 'failed', costUsd: 0.81 }]);
  });

  it('reports a model that never matched the schema', async () => {
    const { engine } = setup({
      stdout: envelope({ subtype: 'error_max_structured_output_retries', is_error: true }),
      exitCode: 1,
    });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe('ROUNDS_DIAGNOSIS_FAILED');
    expect(error.retryable).toBe(false);
  });

  it('treats an execution error as retryable', async () => {
    const { engine } = setup({
      stdout: envelope({ subtype: 'error_during_execution', is_error: true, errors: ['stream ended'] }),
      exitCode: 1,
    });
    const error = await failure(engine.diagnose(context));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('stream ended');
  });

  it('reports a crash without a result, with the end of stderr, and records a zero cost', async () => {
    const { engine, costs } = setup({ stderr: `${'noise '.repeat(500)}\nError: something broke`, exitCode: 3 });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe('ROUNDS_DIAGNOSIS_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('exited 3');
    expect(error.message).toContain('Error: something broke');
    expect(error.message.length).toBeLessThan(700);
    expect(costs).toMatchObject([{ outcome: 'failed', costUsd: 0, model: 'sonnet' }]);
  });

  it('does not retry a clean exit that printed no envelope', async () => {
    const { engine } = setup({ stdout: 'Claude Code v9 says hello' });
    const error = await failure(engine.diagnose(context));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('without a JSON result');
  });

  it('bounds stdout', async () => {
    const { engine } = setup({ stdout: envelope({ structured_output: ANSWER }) }, { maxStdoutBytes: 100 });
    const error = await failure(engine.diagnose(context));
    expect(error.message).toContain('more output than Rounds accepts');
  });

  it('kills a CLI that runs past the timeout, with SIGKILL when it ignores SIGTERM', async () => {
    const { engine, fake, costs } = setup({ hang: true, ignoreSigterm: true }, { timeoutMs: 500, killGraceMs: 300 });
    const started = Date.now();
    const error = await failure(engine.diagnose(context));
    const elapsed = Date.now() - started;
    expect(error.code).toBe('ROUNDS_TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(5_000);
    expect(isRunning(fake.lastCall().pid)).toBe(false);
    expect(costs).toMatchObject([{ outcome: 'failed', costUsd: 0 }]);
  });

  it('stops the CLI when the caller aborts, and records the run as aborted', async () => {
    const { engine, fake, costs } = setup({ hang: true }, { timeoutMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const error = await failure(engine.diagnose(context, controller.signal));
    expect(error.code).toBe('ROUNDS_DIAGNOSIS_FAILED');
    expect(error.message).toContain('aborted');
    expect(isRunning(fake.lastCall().pid)).toBe(false);
    expect(costs).toMatchObject([{ outcome: 'aborted' }]);
  });

  it('does not start when already aborted', async () => {
    const { engine, costs } = setup({ stdout: envelope({ structured_output: ANSWER }) });
    const error = await failure(engine.diagnose(context, AbortSignal.abort()));
    expect(error.message).toContain('aborted before the CLI started');
    expect(costs).toEqual([]);
  });

  it('says clearly when the CLI is not installed', async () => {
    const { engine } = setup({}, { command: path.join(tmpdir(), 'rounds-no-such-dir', 'claude') });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe('ROUNDS_ENGINE_UNAVAILABLE');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('@anthropic-ai/claude-code');
  });

  it('says when the command is not executable', async () => {
    const file = path.join(tempDir('rounds-noexec-'), 'claude');
    writeFileSync(file, '#!/bin/sh\n');
    const { engine } = setup({}, { command: file });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe('ROUNDS_ENGINE_UNAVAILABLE');
    expect(error.message).toContain('not executable');
  });

  it('rejects a codebase path that is not a directory', async () => {
    const { engine } = setup({}, { codebasePath: path.join(tmpdir(), 'rounds-no-such-codebase') });
    const error = await failure(engine.diagnose(context));
    expect(error.code).toBe('ROUNDS_INVALID_CONFIG');
  });

  it('rejects a non-positive budget at construction', () => {
    expect(() => setup({}, { budgetUsd: 0 })).toThrow(/budget/);
  });

  it('surfaces a cost-ledger failure when the diagnosis itself succeeded', async () => {
    const { engine } = setup(
      { stdout: envelope({ structured_output: ANSWER }) },
      {
        recordCost: () => {
          throw new Error('ledger down');
        },
      },
    );
    await expect(engine.diagnose(context)).rejects.toThrow('ledger down');
  });
});

describe('locateClaudeCli', () => {
  it('finds node_modules/.bin/claude above a directory, then PATH, else nothing', () => {
    const root = tempDir('rounds-locate-');
    const fake = fakeClaude({});
    expect(locateClaudeCli({ searchFrom: [root], pathList: '' })).toBeUndefined();
    expect(locateClaudeCli({ searchFrom: [root], pathList: path.dirname(fake.command) })).toBe(fake.command);
  });

  it('finds the dev dependency this project installs', () => {
    expect(locateClaudeCli({ pathList: '' })).toMatch(/node_modules[/\\]\.bin[/\\]claude$/);
  });
});
