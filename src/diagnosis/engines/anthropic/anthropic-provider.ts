/** @module The tool loop's adapter for the Anthropic Messages API (`@anthropic-ai/sdk`). */
import {
  type Anthropic,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import type { TokenUsage } from '../../pricing.js';
import { retryAfterSeconds } from '../tool-loop/errors.js';
import type {
  Conversation,
  LlmProvider,
  ModelReply,
  ProviderFailure,
  SendRequest,
  ToolResultMessage,
} from '../tool-loop/provider.js';

export interface AnthropicProviderOptions {
  readonly client: Anthropic;
  readonly model: string;
  readonly maxOutputTokens: number;
}

export function anthropicProvider(options: AnthropicProviderOptions): LlmProvider {
  return {
    engine: 'anthropic',
    model: options.model,
    start: (prompt) => new AnthropicConversation(options, prompt),
    classify: classifyAnthropicError,
  };
}

class AnthropicConversation implements Conversation {
  readonly #options: AnthropicProviderOptions;
  readonly #system: string;
  readonly #messages: Anthropic.MessageParam[];

  constructor(options: AnthropicProviderOptions, prompt: { system: string; user: string }) {
    this.#options = options;
    this.#system = prompt.system;
    this.#messages = [{ role: 'user', content: [{ type: 'text', text: prompt.user }] }];
  }

  async send(request: SendRequest): Promise<ModelReply> {
    const message = await this.#options.client.messages.create(
      {
        model: this.#options.model,
        max_tokens: this.#options.maxOutputTokens,
        system: this.#system,
        messages: this.#messages,
        tools: request.tools.map((tool) => ({
          name: tool.name,
          description: tool.description,
          input_schema: { ...tool.inputSchema, type: 'object' },
        })),
        tool_choice: request.forceTool ? { type: 'tool', name: request.forceTool } : { type: 'auto' },
      },
      { signal: request.signal },
    );
    // The reply goes back verbatim: thinking blocks must be returned unchanged on the next turn. An empty reply
    // still needs content, or the API rejects the history.
    this.#messages.push({
      role: 'assistant',
      content: message.content.length > 0 ? message.content : [{ type: 'text', text: '(no reply)' }],
    });
    const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
    const toolCalls = message.content.flatMap((block) =>
      block.type === 'tool_use' ? [{ id: block.id, name: block.name, input: block.input }] : [],
    );
    const { usage, promptTokens } = toUsage(message.usage);
    return {
      text,
      toolCalls,
      usage,
      promptTokens,
      model: message.model,
      truncated: message.stop_reason === 'max_tokens',
    };
  }

  addToolResults(results: readonly ToolResultMessage[]): void {
    this.#messages.push({
      role: 'user',
      content: results.map((result) => ({
        type: 'tool_result',
        tool_use_id: result.callId,
        content: result.content,
        is_error: result.isError,
      })),
    });
  }

  addNote(text: string): void {
    // The API wants turns to alternate; a note after tool results joins their user turn.
    const last = this.#messages.at(-1);
    if (last?.role === 'user' && Array.isArray(last.content)) last.content.push({ type: 'text', text });
    else this.#messages.push({ role: 'user', content: [{ type: 'text', text }] });
  }
}

function toUsage(usage: Anthropic.Usage): { usage: TokenUsage; promptTokens: number } {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheCreated = usage.cache_creation_input_tokens ?? 0;
  // The per-lifetime breakdown, when present, prices one-hour writes at their own rate.
  const oneHour = usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  return {
    usage: {
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      cacheReadTokens: cacheRead,
      cacheWriteTokens: cacheCreated - oneHour,
      cacheWrite1hTokens: oneHour,
    },
    promptTokens: usage.input_tokens + cacheRead + cacheCreated,
  };
}

export function classifyAnthropicError(error: unknown): ProviderFailure | undefined {
  if (error instanceof APIUserAbortError) return { kind: 'aborted' };
  if (error instanceof APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof APIConnectionError) return { kind: 'connection', message: error.message };
  if (error instanceof APIError && typeof error.status === 'number') {
    const after = retryAfterSeconds(error.headers);
    return {
      kind: 'status',
      status: error.status,
      message: error.apiMessage ?? error.message,
      ...(after === undefined ? {} : { retryAfterSeconds: after }),
    };
  }
  return undefined;
}
