/**
 * @module The diagnosis a model must return: one zod schema that validates the answer, and the JSON schema of the
 * same shape that the engines hand to the model (as the `submit_diagnosis` tool's input schema).
 */
import { z } from 'zod';
import type { Confidence, EvidenceItem } from '../domain/index.js';

/** Upper bounds keep a runaway answer out of the store and the reports; they are far above a useful diagnosis. */
const MAX_TEXT = 8_000;
const MAX_EVIDENCE = 30;

const text = (what: string) => z.string().trim().min(1).max(MAX_TEXT).describe(what);

export const evidenceSchema = z.object({
  description: z.string().trim().min(1).max(2_000).describe('What this piece of evidence shows, in one sentence.'),
  reference: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .optional()
    .describe(
      'Where it points: a file:line in the codebase (src/orders/service.ts:42), a stack frame, a span or trace id ' +
        '(span:<id>, trace:<id>), or a log line. Omit when the evidence has no single location.',
    ),
});

export const diagnosisOutputSchema = z.object({
  root_cause: text('The root cause of the error, in the codebase terms a developer would use.'),
  evidence: z
    .array(evidenceSchema)
    .min(1)
    .max(MAX_EVIDENCE)
    .describe('The facts that support the root cause, most important first.'),
  suggested_fix: text('How to fix the root cause: what to change, where.'),
  confidence: z
    .enum(['high', 'medium', 'low'])
    .describe('high: the evidence proves it; medium: likely, with a gap; low: a best guess.'),
});

export type DiagnosisOutput = z.infer<typeof diagnosisOutputSchema>;

/** The JSON schema given to models; `$schema` is dropped because some tool-schema validators reject it. */
export function diagnosisJsonSchema(): Record<string, unknown> {
  const { $schema: _dropped, ...schema } = z.toJSONSchema(diagnosisOutputSchema) as Record<string, unknown>;
  return schema;
}

export type OutputCheck = { ok: true; value: DiagnosisOutput } | { ok: false; error: string };

/**
 * Validates a model's answer. `raw` is the tool input the model sent (already an object) or text that should
 * hold a JSON object (a model that answered in prose, or a tool input the provider passed through as a string).
 * The error text is written for the model: it goes back to it verbatim on the one retry.
 */
export function checkDiagnosisOutput(raw: unknown): OutputCheck {
  let candidate = raw;
  if (typeof raw === 'string') {
    const parsed = parseJsonObject(raw);
    if (!parsed.ok) return parsed;
    candidate = parsed.value;
  }
  const result = diagnosisOutputSchema.safeParse(candidate);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: `the diagnosis does not match the schema:\n${z.prettifyError(result.error)}` };
}

/** Parses a JSON object from model text, tolerating a Markdown code fence around it. */
function parseJsonObject(raw: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(raw);
  let body = (fenced?.[1] ?? raw).trim();
  // Prose around a bare object ("Here is the diagnosis: {...}"): keep the outermost braces.
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (!body.startsWith('{') && start >= 0 && end > start) body = body.slice(start, end + 1);
  if (body === '') return { ok: false, error: 'the answer is empty: expected a JSON object with the diagnosis' };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    return { ok: false, error: `the answer is not valid JSON: ${(error as Error).message}` };
  }
}

/** The domain's shape of a validated answer (camelCase, no empty references). */
export function toDiagnosisFields(output: DiagnosisOutput): {
  rootCause: string;
  evidence: EvidenceItem[];
  suggestedFix: string;
  confidence: Confidence;
} {
  return {
    rootCause: output.root_cause,
    evidence: output.evidence.map((item) =>
      item.reference === undefined
        ? { description: item.description }
        : { description: item.description, reference: item.reference },
    ),
    suggestedFix: output.suggested_fix,
    confidence: output.confidence,
  };
}
