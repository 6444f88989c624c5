/**
 * @module The `anthropic` diagnosis engine: the Messages API with a bounded tool loop over the read-only code
 * tools, the final answer as a `submit_diagnosis` tool call, and a per-diagnosis budget (see tool-loop/).
 */
import { Anthropic } from '@anthropic-ai/sdk';
import type { Diagnosis } from '../../../domain/index.js';
import type { DiagnosisEngine, InvestigationContext } from '../../../ports/index.js';
import { ToolLoopEngine, type ToolLoopSettings } from '../tool-loop/tool-loop-engine.js';
import { anthropicProvider } from './anthropic-provider.js';

export interface AnthropicEngineOptions extends ToolLoopSettings {
  readonly apiKey: string;
  /** e.g. `claude-sonnet-5-5`. */
  readonly model: string;
  /** Another endpoint (a proxy, a test stand-in). Default: the SDK's (ANTHROPIC_BASE_URL is not read here). */
  readonly baseURL?: string;
  /** Retries the SDK makes itself on 408/409/429/5xx and connection errors, honouring retry-after. Default 2. */
  readonly maxRetries?: number;
  /** Deadline of one HTTP attempt. Default: the whole diagnosis' timeoutMs. */
  readonly requestTimeoutMs?: number;
}

export class AnthropicDiagnosisEngine implements DiagnosisEngine {
  readonly name = 'anthropic' as const;
  readonly #loop: ToolLoopEngine;

  /**
   * `forceFinalAnswer` defaults to false: models with adaptive or extended thinking (Sonnet 5.5 and later)
   * reject a forced tool_choice, so the final answer is asked for in words, with the single retry behind it.
   */
  constructor(options: AnthropicEngineOptions) {
    const client = new Anthropic({
      apiKey: options.apiKey,
      // An explicit null keeps the SDK from reading ANTHROPIC_BASE_URL: only src/config reads the environment.
      baseURL: options.baseURL ?? null,
      maxRetries: options.maxRetries ?? 2,
      timeout: options.requestTimeoutMs ?? options.timeoutMs ?? 300_000,
    });
    const maxOutputTokens = options.maxOutputTokens ?? 8_192;
    this.#loop = new ToolLoopEngine(
      anthropicProvider({ client, model: options.model, maxOutputTokens }),
      { ...options, maxOutputTokens },
      { forceFinalAnswer: false },
    );
  }

  diagnose(context: InvestigationContext, signal?: AbortSignal): Promise<Diagnosis> {
    return this.#loop.diagnose(context, signal);
  }
}
