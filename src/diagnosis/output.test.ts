/** @module Tests for the diagnosis output schema: what a model may answer, and what it is told when it is wrong. */
import { describe, expect, it } from 'vitest';
import { checkDiagnosisOutput, diagnosisJsonSchema, toDiagnosisFields } from './output.js';

const valid = {
  root_cause: 'OrderService.total divides by the item count, which is zero for an empty cart.',
  evidence: [
    { description: 'The division happens here.', reference: 'src/orders/service.ts:42' },
    { description: 'Every sample has an empty cart.' },
  ],
  suggested_fix: 'Return 0 for an empty cart before dividing.',
  confidence: 'high',
};

describe('checkDiagnosisOutput', () => {
  it('accepts a well-formed answer given as an object', () => {
    const result = checkDiagnosisOutput(valid);
    expect(result).toEqual({ ok: true, value: valid });
  });

  it('accepts JSON text, with or without a Markdown fence', () => {
    expect(checkDiagnosisOutput(JSON.stringify(valid)).ok).toBe(true);
    expect(checkDiagnosisOutput(`Here it is:\n\`\`\`json\n${JSON.stringify(valid)}\n\`\`\``).ok).toBe(true);
  });

  it('explains every schema problem, naming the field', () => {
    const result = checkDiagnosisOutput({ ...valid, root_cause: '  ', evidence: [], confidence: 'certain' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('root_cause');
    expect(result.error).toContain('evidence');
    expect(result.error).toContain('confidence');
  });

  it('rejects malformed JSON and empty text with a reason the model can act on', () => {
    const broken = checkDiagnosisOutput('{"root_cause": "x",');
    expect(broken).toMatchObject({ ok: false });
    if (!broken.ok) expect(broken.error).toMatch(/not valid JSON/);
    const empty = checkDiagnosisOutput('   ');
    if (!empty.ok) expect(empty.error).toMatch(/empty/);
    expect(empty.ok).toBe(false);
  });

  it('rejects an evidence item without a description', () => {
    expect(checkDiagnosisOutput({ ...valid, evidence: [{ reference: 'a.ts:1' }] }).ok).toBe(false);
  });
});

describe('diagnosisJsonSchema', () => {
  it('describes the same fields, requires them, and carries no $schema key', () => {
    const schema = diagnosisJsonSchema();
    expect(schema.$schema).toBeUndefined();
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['root_cause', 'evidence', 'suggested_fix', 'confidence']);
    const properties = schema.properties as Record<string, { enum?: string[] }>;
    expect(properties.confidence?.enum).toEqual(['high', 'medium', 'low']);
  });
});

describe('toDiagnosisFields', () => {
  it('maps to the domain names and keeps references only where given', () => {
    const result = checkDiagnosisOutput(valid);
    if (!result.ok) throw new Error(result.error);
    expect(toDiagnosisFields(result.value)).toEqual({
      rootCause: valid.root_cause,
      evidence: [
        { description: 'The division happens here.', reference: 'src/orders/service.ts:42' },
        { description: 'Every sample has an empty cart.' },
      ],
      suggestedFix: valid.suggested_fix,
      confidence: 'high',
    });
  });
});
