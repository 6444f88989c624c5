/**
 * @module The seam between the provider-neutral tool loop and one LLM API: a conversation that can be sent,
 * answered with tool results, and nudged; and a translation of the SDK's errors. Each engine adapts its SDK here.
 */
import type { TokenUsage } from '../../pricing.js';

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
}

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The parsed arguments; the raw text when the model sent something that is not JSON. */
  readonly input: unknown;
}

export interface ModelReply {
  /** The reply's text blocks, joined. */
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  /** Billed token counts; undefined when the server reported none (some OpenAI-compatible servers). */
  readonly usage: TokenUsage | undefined;
  /** Every input token of this call, cached or not: the base for estimating the next call. */
  readonly promptTokens: number | undefined;
  /** The model as the API reported it (a dated id), when it did. */
  readonly model: string | undefined;
  /** The reply hit the output-token limit, so a tool call in it may be cut short. */
  readonly truncated: boolean;
}

export interface ToolResultMessage {
  readonly callId: string;
  readonly name: string;
  readonly content: string;
  readonly isError: boolean;
}

export interface SendRequest {
  readonly tools: readonly ToolSpec[];
  /** Name of a tool the model must call (tool_choice), when the engine forces the final answer. */
  readonly forceTool?: string;
  readonly signal: AbortSignal;
}

/** One diagnosis' message history, in the provider's own format. */
export interface Conversation {
  /** Sends the history; the reply joins it. */
  send(request: SendRequest): Promise<ModelReply>;
  /** Answers every tool call of the last reply, in order. */
  addToolResults(results: readonly ToolResultMessage[]): void;
  /** Adds a user-side note after whatever came last (the loop's nudges and the validation error). */
  addNote(text: string): void;
}

/** What went wrong with a call, in terms the loop can map to a RoundsError. */
export type ProviderFailure =
  | { readonly kind: 'aborted' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'connection'; readonly message: string }
  | { readonly kind: 'status'; readonly status: number; readonly message: string; readonly retryAfterSeconds?: number };

export interface LlmProvider {
  readonly engine: 'anthropic' | 'openai';
  /** The configured model name. */
  readonly model: string;
  start(prompt: { system: string; user: string }): Conversation;
  /** Translates an error thrown by `send`; undefined when it did not come from the SDK. */
  classify(error: unknown): ProviderFailure | undefined;
}
