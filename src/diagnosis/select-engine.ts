/**
 * @module Builds the diagnosis engine from DIAGNOSIS_BACKEND. `auto` takes the first usable one in the order
 * claude_code (CLI installed and ANTHROPIC_API_KEY set), anthropic (key), openai (key or OPENAI_BASE_URL), offline,
 * and logs which and why. An explicitly chosen engine that cannot work is a configuration error, not a fallback.
 */
import type { EnvConfig } from '../config/index.js';
import { RoundsError } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { DiagnosisEngine, InvestigationContext, SignatureStore } from '../ports/index.js';
import { DiagnosisService } from './diagnosis-service.js';
import { ClaudeCodeDiagnosisEngine, locateClaudeCli } from './engines/claude-code/index.js';
import { OfflineDiagnosisEngine } from './engines/offline/offline-engine.js';
import { claudeModelFor } from './models.js';
import { parsePriceOverrides } from './pricing.js';
import { DiagnosisPromptBuilder } from './prompt-builder.js';
import { createCodeTools } from './tools/index.js';

export interface EngineDeps {
  readonly store: SignatureStore;
  readonly logger: Logger;
  /** The process-wide secret redactor: everything sent to a model goes through it. */
  readonly redact: (text: string) => string;
  /** The `claude` CLI to run; default: found in node_modules/.bin, then PATH. `null`: behave as if not installed. */
  readonly claudeCommand?: string | null;
}

type Choice = Exclude<EnvConfig['DIAGNOSIS_BACKEND'], 'auto'>;

/** Which engine `auto` would pick, and why; exported for `rounds config` and tests. */
export function pickEngine(
  config: Readonly<EnvConfig>,
  claudeCommand?: string | null,
): { engine: Choice; why: string } {
  if (config.DIAGNOSIS_BACKEND !== 'auto') return { engine: config.DIAGNOSIS_BACKEND, why: 'DIAGNOSIS_BACKEND' };
  const cli = findCli(claudeCommand);
  if (cli && config.ANTHROPIC_API_KEY)
    return { engine: 'claude_code', why: `the claude CLI at ${cli} and ANTHROPIC_API_KEY` };
  if (config.ANTHROPIC_API_KEY) return { engine: 'anthropic', why: 'ANTHROPIC_API_KEY is set (no claude CLI found)' };
  if (config.OPENAI_API_KEY || config.OPENAI_BASE_URL)
    return { engine: 'openai', why: 'OPENAI_API_KEY/OPENAI_BASE_URL is set' };
  return { engine: 'offline', why: 'no LLM is configured (no ANTHROPIC_API_KEY, OPENAI_API_KEY or OPENAI_BASE_URL)' };
}

export function selectDiagnosisEngine(config: Readonly<EnvConfig>, deps: EngineDeps): DiagnosisEngine {
  const { store, logger } = deps;
  const offline = new OfflineDiagnosisEngine();
  const choice = pickEngine(config, deps.claudeCommand);
  logger.info({ component: 'diagnosis', engine: choice.engine }, `diagnosis engine: ${choice.engine} (${choice.why})`);
  if (choice.engine === 'offline') return offline;

  const prompts = new DiagnosisPromptBuilder({
    store,
    codebasePath: config.CODEBASE_PATH,
    maxContextTokens: config.DIAGNOSIS_MAX_CONTEXT_TOKENS,
    redact: deps.redact,
    logger,
  });
  const buildPrompt = (context: InvestigationContext) => prompts.build(context);
  const recordCost = (entry: Parameters<SignatureStore['recordCost']>[0]) => store.recordCost(entry);
  const timeoutMs = config.DIAGNOSIS_TIMEOUT_SECONDS * 1000;
  const prices = parsePriceOverrides(config.DIAGNOSIS_PRICES);
  const warn = (message: string) => logger.warn({ component: 'diagnosis' }, message);
  // What the two tool-loop engines share; each adds its provider's key, model, endpoint and budget.
  const loop = () => ({
    tools: createCodeTools({ root: config.CODEBASE_PATH, redact: deps.redact }),
    buildPrompt,
    recordCost,
    timeoutMs,
    prices,
    warn,
  });

  let engine: DiagnosisEngine;
  switch (choice.engine) {
    case 'claude_code': {
      const command = findCli(deps.claudeCommand);
      if (command === undefined) {
        throw new RoundsError(
          'ROUNDS_INVALID_CONFIG',
          'DIAGNOSIS_BACKEND=claude_code: the claude CLI is not installed (npm install -g @anthropic-ai/claude-code, or put it on PATH)',
        );
      }
      engine = new ClaudeCodeDiagnosisEngine({
        command,
        model: claudeModelFor('cli', config.CLAUDE_MODEL),
        budgetUsd: config.CLAUDE_CODE_BUDGET_USD,
        timeoutMs,
        codebasePath: config.CODEBASE_PATH,
        env: {
          ...(config.ANTHROPIC_API_KEY ? { ANTHROPIC_API_KEY: config.ANTHROPIC_API_KEY } : {}),
          ...(config.ANTHROPIC_BASE_URL ? { ANTHROPIC_BASE_URL: config.ANTHROPIC_BASE_URL } : {}),
        },
        buildPrompt,
        recordCost,
      });
      break;
    }
    case 'anthropic': {
      const apiKey = config.ANTHROPIC_API_KEY;
      if (!apiKey) {
        throw new RoundsError('ROUNDS_INVALID_CONFIG', 'DIAGNOSIS_BACKEND=anthropic needs ANTHROPIC_API_KEY');
      }
      engine = lazyEngine('anthropic', async () => {
        const { AnthropicDiagnosisEngine } = await import('./engines/anthropic/anthropic-engine.js');
        return new AnthropicDiagnosisEngine({
          apiKey,
          model: claudeModelFor('api', config.CLAUDE_MODEL),
          ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
          budgetUsd: config.ANTHROPIC_BUDGET_USD,
          ...loop(),
        });
      });
      break;
    }
    case 'openai':
      if (!config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) {
        throw new RoundsError(
          'ROUNDS_INVALID_CONFIG',
          'DIAGNOSIS_BACKEND=openai needs OPENAI_API_KEY, or OPENAI_BASE_URL for a local OpenAI-compatible server',
        );
      }
      engine = lazyEngine('openai', async () => {
        const { OpenAiDiagnosisEngine } = await import('./engines/openai/openai-engine.js');
        return new OpenAiDiagnosisEngine({
          // Local OpenAI-compatible servers accept any key; the SDK insists on one.
          apiKey: config.OPENAI_API_KEY ?? 'not-needed',
          model: config.OPENAI_MODEL,
          ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
          budgetUsd: config.OPENAI_BUDGET_USD,
          ...loop(),
        });
      });
      break;
  }
  return new DiagnosisService({
    engine,
    offline,
    store,
    dailyBudgetUsd: config.DAILY_BUDGET_LIMIT,
    codebase: () => prompts.codebaseAccess(),
    logger,
  });
}

function findCli(configured: string | null | undefined): string | undefined {
  return configured === null ? undefined : (configured ?? locateClaudeCli());
}

/**
 * An engine whose SDK is loaded on its first diagnosis: the SDKs cost tens of MB of heap, and a daemon that
 * diagnoses rarely (or has nothing to diagnose yet) should not carry them. Configuration is checked up front, so
 * a wrong setup still fails at start; a failed load is retried at the next diagnosis.
 */
function lazyEngine(name: DiagnosisEngine['name'], load: () => Promise<DiagnosisEngine>): DiagnosisEngine {
  let ready: Promise<DiagnosisEngine> | undefined;
  return {
    name,
    async diagnose(context, signal) {
      ready ??= load().catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      return (await ready).diagnose(context, signal);
    },
  };
}
