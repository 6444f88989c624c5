/**
 * @module Scripted LLM conversations that do not depend on a wire format: each stand-in (Anthropic JSON or SSE,
 * OpenAI chat completions) renders the same steps in its own API's shape.
 */

/** Token counts in billing terms: `input` is uncached input (OpenAI's prompt_tokens is rendered as input + cacheRead). */
export interface ScriptedUsage {
  readonly input: number;
  readonly output: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
}

export type ScriptedBlock =
  | { readonly type: 'text'; readonly text: string }
  /** `input` is sent as JSON, unless it is a string: then it is sent as is (malformed arguments, for instance). */
  | { readonly type: 'tool_call'; readonly name: string; readonly input: unknown; readonly id?: string };

export interface ScriptedReply {
  readonly kind: 'reply';
  readonly blocks: readonly ScriptedBlock[];
  /** Omitted: 100 input and 20 output tokens. `null`: no usage at all (some OpenAI-compatible servers). */
  readonly usage?: ScriptedUsage | null;
  /** Default: tool_use / tool_calls when a block calls a tool, else end of turn. */
  readonly stop?: 'end' | 'tool_calls' | 'max_tokens';
  /** The model the reply names; default: the requested one. */
  readonly model?: string;
  /** Wait this long before answering (a slow server). */
  readonly delayMs?: number;
}

export interface ScriptedError {
  readonly kind: 'error';
  readonly status: number;
  /** The API's error type, e.g. rate_limit_error; a default per status otherwise. */
  readonly errorType?: string;
  readonly message?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Accepts the request and never answers: only the client's timeout or abort ends it. */
export interface ScriptedHang {
  readonly kind: 'hang';
}

export type ScriptedResponse = ScriptedReply | ScriptedError | ScriptedHang;

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body. */
  readonly body: Record<string, unknown>;
}

/** A fixed response, or one computed from the request (to echo what the client sent, for instance). */
export type ScriptedStep = ScriptedResponse | ((request: RecordedRequest) => ScriptedResponse);

export const DEFAULT_USAGE: ScriptedUsage = { input: 100, output: 20 };

export const text = (value: string): ScriptedBlock => ({ type: 'text', text: value });

export const toolCall = (name: string, input: unknown, id?: string): ScriptedBlock =>
  id === undefined ? { type: 'tool_call', name, input } : { type: 'tool_call', name, input, id };

export function reply(
  blocks: ScriptedBlock | readonly ScriptedBlock[],
  options: Omit<ScriptedReply, 'kind' | 'blocks'> = {},
): ScriptedReply {
  return { kind: 'reply', blocks: Array.isArray(blocks) ? blocks : [blocks as ScriptedBlock], ...options };
}

export function httpError(status: number, options: Omit<ScriptedError, 'kind' | 'status'> = {}): ScriptedError {
  return { kind: 'error', status, ...options };
}

export function rateLimited(retryAfterSeconds: number): ScriptedError {
  return httpError(429, { headers: { 'retry-after': String(retryAfterSeconds) }, message: 'rate limited' });
}

export const hang = (): ScriptedHang => ({ kind: 'hang' });

export function delayed(delayMs: number, response: ScriptedReply): ScriptedReply {
  return { ...response, delayMs };
}
