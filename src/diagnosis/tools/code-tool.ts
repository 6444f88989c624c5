/** @module The shape of a read-only code tool the diagnosis engines offer a model, and how a tool refuses. */
import { z } from 'zod';

/** What a tool call gives back to the model. Refusals and failures are results too: the model can adapt. */
export interface ToolResult {
  readonly content: string;
  readonly isError: boolean;
}

export interface CodeTool {
  readonly name: string;
  readonly description: string;
  /** JSON schema of the tool's input, as the model sees it. */
  readonly inputSchema: Record<string, unknown>;
  /** The longest result the tool can return (before redaction): the budget rule reserves room for it. */
  readonly maxResultChars: number;
  /** Never throws: every problem (bad input, a path outside the root, an I/O error) becomes an error result. */
  run(input: unknown, signal?: AbortSignal): Promise<ToolResult>;
}

/** A refusal or failure worth telling the model about, in words it can act on. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** Builds a CodeTool from a zod input schema and a body that may throw ToolError. */
export function defineTool<T extends z.ZodType>(spec: {
  name: string;
  description: string;
  input: T;
  maxResultChars: number;
  redact: (text: string) => string;
  run: (input: z.infer<T>, signal?: AbortSignal) => Promise<string>;
}): CodeTool {
  const { $schema: _dropped, ...inputSchema } = z.toJSONSchema(spec.input) as Record<string, unknown>;
  return {
    name: spec.name,
    description: spec.description,
    inputSchema,
    maxResultChars: spec.maxResultChars,
    async run(input, signal) {
      const parsed = spec.input.safeParse(input ?? {});
      if (!parsed.success) {
        return { content: `invalid input for ${spec.name}:\n${z.prettifyError(parsed.error)}`, isError: true };
      }
      try {
        return { content: spec.redact(await spec.run(parsed.data, signal)), isError: false };
      } catch (error) {
        if (error instanceof ToolError) return { content: spec.redact(error.message), isError: true };
        // An unexpected failure (permissions, a vanished file) is still the model's to work around, not a crash.
        // Only the error code goes back: system messages carry absolute paths of the host.
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
        return { content: `${spec.name} failed (${code})`, isError: true };
      }
    },
  };
}
