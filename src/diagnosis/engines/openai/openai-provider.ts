/** @module The tool loop's adapter for the OpenAI Chat Completions API (`openai`), and servers compatible with it. */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, type OpenAI } from 'openai';
import type { TokenUsage } from '../../pricing.js';
import { retryAfterSeconds } from '../tool-loop/errors.js';
import type {
  Conversation,
  LlmProvider,
  ModelReply,
  ProviderFailure,
  SendRequest,
  ToolCall,
  ToolResultMessage,
} from '../tool-loop/provider.js';

/** Newer OpenAI models only take `max_completion_tokens`; older compatible servers only know `max_tokens`. */
export type MaxTokensParameter = 'max_completion_tokens' | 'max_tokens';

export interface OpenAiProviderOptions {
  readonly client: OpenAI;
  readonly model: string;
  readonly maxOutputTokens: number;
  readonly maxTokensParameter: MaxTokensParameter;
}

export function openAiProvider(options: OpenAiProviderOptions): LlmProvider {
  return {
    engine: 'openai',
    model: options.model,
    start: (prompt) => new OpenAiConversation(options, prompt),
    classify: classifyOpenAiError,
  };
}

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

class OpenAiConversation implements Conversation {
  readonly #options: OpenAiProviderOptions;
  readonly #messages: Message[];

  constructor(options: OpenAiProviderOptions, prompt: { system: string; user: string }) {
    this.#options = options;
    this.#messages = [
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user },
    ];
  }

  async send(request: SendRequest): Promise<ModelReply> {
    const completion = await this.#options.client.chat.completions.create(
      {
        model: this.#options.model,
        messages: this.#messages,
        tools: request.tools.map((tool) => ({
          type: 'function' as const,
          function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
        })),
        tool_choice: request.forceTool ? { type: 'function', function: { name: request.forceTool } } : 'auto',
        [this.#options.maxTokensParameter]: this.#options.maxOutputTokens,
      },
      { signal: request.signal },
    );
    const choice = completion.choices[0];
    const message = choice?.message;
    const functionCalls = (message?.tool_calls ?? []).flatMap((call) => (call.type === 'function' ? [call] : []));
    const text = [message?.content, message?.refusal].filter((part): part is string => !!part).join('\n');
    // Every tool call must be answered by a tool message, so the assistant turn keeps exactly these calls.
    this.#messages.push({
      role: 'assistant',
      content: message?.content ?? (functionCalls.length > 0 ? null : '(no reply)'),
      ...(functionCalls.length > 0 ? { tool_calls: functionCalls } : {}),
    });
    const toolCalls: ToolCall[] = functionCalls.map((call) => ({
      id: call.id,
      name: call.function.name,
      input: parseArguments(call.function.arguments),
    }));
    return {
      text,
      toolCalls,
      ...toUsage(completion.usage),
      model: completion.model || undefined,
      truncated: choice?.finish_reason === 'length',
    };
  }

  addToolResults(results: readonly ToolResultMessage[]): void {
    for (const result of results) {
      // Chat Completions has no error flag on tool results; the model reads it from the text.
      const content = result.isError ? `ERROR: ${result.content}` : result.content;
      this.#messages.push({ role: 'tool', tool_call_id: result.callId, content });
    }
  }

  addNote(text: string): void {
    this.#messages.push({ role: 'user', content: text });
  }
}

/** Arguments arrive as a JSON string; one that does not parse is kept as text for the validator to report. */
function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function toUsage(usage: OpenAI.CompletionUsage | undefined): Pick<ModelReply, 'usage' | 'promptTokens'> {
  if (!usage) return { usage: undefined, promptTokens: undefined };
  // prompt_tokens includes the cached ones; they are billed at the cache-read rate instead.
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const billed: TokenUsage = {
    inputTokens: Math.max(0, usage.prompt_tokens - cached),
    outputTokens: usage.completion_tokens,
    cacheReadTokens: cached,
  };
  return { usage: billed, promptTokens: usage.prompt_tokens };
}

export function classifyOpenAiError(error: unknown): ProviderFailure | undefined {
  if (error instanceof APIUserAbortError) return { kind: 'aborted' };
  if (error instanceof APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof APIConnectionError) return { kind: 'connection', message: error.message };
  if (error instanceof APIError && typeof error.status === 'number') {
    const after = retryAfterSeconds(error.headers);
    return {
      kind: 'status',
      status: error.status,
      message: error.message,
      ...(after === undefined ? {} : { retryAfterSeconds: after }),
    };
  }
  return undefined;
}
