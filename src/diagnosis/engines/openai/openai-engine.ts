/**
 * @module The `openai` diagnosis engine: Chat Completions with the read-only code tools as functions, the final
 * answer as a `submit_diagnosis` function call, and the same loop, budget and cost ledger as the Anthropic engine.
 * `baseURL` points it at any compatible server (Azure OpenAI, vLLM, Ollama, LM Studio).
 */
import { OpenAI } from 'openai';
import type { Diagnosis } from '../../../domain/index.js';
import type { DiagnosisEngine, InvestigationContext } from '../../../ports/index.js';
import { ToolLoopEngine, type ToolLoopSettings } from '../tool-loop/tool-loop-engine.js';
import { type MaxTokensParameter, openAiProvider } from './openai-provider.js';

export interface OpenAiEngineOptions extends ToolLoopSettings {
  readonly apiKey: string;
  readonly model: string;
  /** OPENAI_BASE_URL: a compatible server's API root, usually ending in /v1. Default: OpenAI's. */
  readonly baseURL?: string;
  readonly organization?: string;
  readonly project?: string;
  /** Extra headers and query parameters, e.g. Azure's `api-key` header and `api-version` parameter. */
  readonly defaultHeaders?: Readonly<Record<string, string>>;
  readonly defaultQuery?: Readonly<Record<string, string>>;
  /** Default `max_completion_tokens`; `max_tokens` for servers that predate it. */
  readonly maxTokensParameter?: MaxTokensParameter;
  /** Retries the SDK makes itself on 408/409/429/5xx and connection errors, honouring retry-after. Default 2. */
  readonly maxRetries?: number;
  /** Deadline of one HTTP attempt. Default: the whole diagnosis' timeoutMs. */
  readonly requestTimeoutMs?: number;
}

export class OpenAiDiagnosisEngine implements DiagnosisEngine {
  readonly name = 'openai' as const;
  readonly #loop: ToolLoopEngine;

  /** `forceFinalAnswer` defaults to true: Chat Completions honours a named tool_choice. */
  constructor(options: OpenAiEngineOptions) {
    // Explicit nulls keep the SDK from reading OPENAI_* variables: only src/config reads the environment.
    const client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? null,
      organization: options.organization ?? null,
      project: options.project ?? null,
      maxRetries: options.maxRetries ?? 2,
      timeout: options.requestTimeoutMs ?? options.timeoutMs ?? 300_000,
      ...(options.defaultHeaders ? { defaultHeaders: { ...options.defaultHeaders } } : {}),
      ...(options.defaultQuery ? { defaultQuery: { ...options.defaultQuery } } : {}),
    });
    const maxOutputTokens = options.maxOutputTokens ?? 8_192;
    this.#loop = new ToolLoopEngine(
      openAiProvider({
        client,
        model: options.model,
        maxOutputTokens,
        maxTokensParameter: options.maxTokensParameter ?? 'max_completion_tokens',
      }),
      { ...options, maxOutputTokens },
      { forceFinalAnswer: true },
    );
  }

  diagnose(context: InvestigationContext, signal?: AbortSignal): Promise<Diagnosis> {
    return this.#loop.diagnose(context, signal);
  }
}
