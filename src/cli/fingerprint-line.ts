/** @module One line of `rounds fingerprint`: parse the JSON, validate it, fingerprint it, shape the output. */
import { z } from 'zod';
import type { Fingerprinter } from '../fingerprint/index.js';

const attributeValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(attributeValue),
    z.record(z.string(), attributeValue),
  ]),
);

const lineSchema = z.object({
  service: z.string().min(1, 'service must be a non-empty string'),
  error_type: z.string().default(''),
  message: z.string().default(''),
  stacktrace: z.string().optional(),
  language: z.string().optional(),
  operation: z.string().optional(),
  attributes: z.record(z.string(), attributeValue).optional(),
});

export type FingerprintLineOutput = Record<string, unknown>;

export function fingerprintLine(
  fingerprinter: Fingerprinter,
  text: string,
  lineNumber: number,
  explain: boolean,
): FingerprintLineOutput | undefined {
  if (text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { line: lineNumber, error: `invalid JSON: ${(error as Error).message}` };
  }
  const parsed = lineSchema.safeParse(json);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`);
    return { line: lineNumber, error: reasons.join('; ') };
  }
  const input = parsed.data;
  const result = fingerprinter.fingerprint({
    service: input.service,
    errorType: input.error_type,
    message: input.message,
    ...(input.stacktrace === undefined ? {} : { stackTrace: input.stacktrace }),
    ...(input.language === undefined ? {} : { language: input.language }),
    ...(input.operation === undefined ? {} : { operation: input.operation }),
    ...(input.attributes === undefined ? {} : { attributes: input.attributes as Record<string, never> }),
  });
  return {
    line: lineNumber,
    fingerprint: result.hash,
    config_id: result.configId,
    strategy: result.strategy,
    error_type: result.errorType,
    message_template: result.messageTemplate,
    language: result.language,
    frames: result.frames.map((f) => ({
      module: f.module ?? null,
      function: f.function ?? null,
      file: f.file ?? null,
      line: f.line ?? null,
      in_app: f.inApp,
    })),
    ...(explain ? { explain: result.components } : {}),
  };
}
