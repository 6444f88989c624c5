/**
 * @module Takes the diagnosis out of a successful envelope: `structured_output` when the CLI validated it against
 * the schema, else JSON found in the final `result` text (the CLI accepts a plain-text answer after one reminder).
 */
import { z } from 'zod';
import { RoundsError } from '../../../domain/index.js';
import type { DiagnosisOutput } from '../../output.js';
import type { ResultEnvelope } from './envelope.js';

/** Any schema whose output is the shared diagnosis shape; the engine defaults to the shared one. */
export type DiagnosisOutputSchema = z.ZodType<DiagnosisOutput>;

/** The JSON Schema the CLI turns into its StructuredOutput tool; `$schema` is dropped as tool schemas carry none. */
export function toCliJsonSchema(schema: DiagnosisOutputSchema): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

const MAX_ISSUES_IN_MESSAGE = 5;

export function extractOutput(envelope: ResultEnvelope, schema: DiagnosisOutputSchema): DiagnosisOutput {
  const candidates: unknown[] = [];
  if (envelope.structured_output !== undefined && envelope.structured_output !== null) {
    candidates.push(envelope.structured_output);
  }
  candidates.push(...jsonCandidates(envelope.result ?? ''));
  if (candidates.length === 0) {
    throw new RoundsError(
      'ROUNDS_DIAGNOSIS_FAILED',
      'claude_code: the answer contains no structured output and no JSON',
    );
  }
  let firstProblem = '';
  for (const candidate of candidates) {
    const parsed = schema.safeParse(candidate);
    if (parsed.success) return parsed.data;
    if (firstProblem === '') {
      firstProblem = parsed.error.issues
        .slice(0, MAX_ISSUES_IN_MESSAGE)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
    }
  }
  throw new RoundsError(
    'ROUNDS_DIAGNOSIS_FAILED',
    `claude_code: the answer does not match the diagnosis schema: ${firstProblem}`,
  );
}

/** The whole text, fenced ```json blocks, and the outermost {...} span, each if it parses. */
function jsonCandidates(text: string): unknown[] {
  const sources = [text];
  for (const match of text.matchAll(/```(?:json)?\s*\n([\s\S]*?)```/g)) {
    if (match[1] !== undefined) sources.push(match[1]);
  }
  const open = text.indexOf('{');
  const close = text.lastIndexOf('}');
  if (open !== -1 && close > open) sources.push(text.slice(open, close + 1));
  const found: unknown[] = [];
  for (const source of sources) {
    try {
      found.push(JSON.parse(source));
    } catch {
      // Not JSON: prose around the answer, or a fragment.
    }
  }
  return found;
}
