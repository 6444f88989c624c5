/**
 * The sample application in test/fixtures/sample-app has known bugs; its stack traces carry container prefixes.
 * For each bug, the assembled evidence must show the right file with the faulting line marked and its neighbours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Language } from '../../domain/index.js';
import { parseStackTrace } from '../../fingerprint/index.js';
import { assembleEvidence } from './assemble-evidence.js';
import type { CodebaseAccess } from './code-resolution.js';
import type { EvidenceBundle } from './evidence-bundle.js';
import { openCodebase } from './open-codebase.js';
import { renderDiagnosisPrompt } from './render-prompt.js';
import { eventFor, SAMPLE_APP, SAMPLE_APP_CODE, signatureFor } from './testdata/helpers.js';

const telemetry = (name: string): string => readFileSync(join(SAMPLE_APP, 'telemetry', name), 'utf8');

let codebase: CodebaseAccess;
beforeAll(async () => {
  codebase = await openCodebase(SAMPLE_APP_CODE);
});

async function evidenceFor(traceFile: string, language: Language, service: string): Promise<EvidenceBundle> {
  const stackTrace = telemetry(traceFile);
  const parsed = parseStackTrace(stackTrace, language);
  const root = parsed?.exceptions.at(-1);
  if (!root) throw new Error(`fixture ${traceFile} did not parse`);
  return assembleEvidence({
    signature: signatureFor({ language, service, services: [service], errorType: root.type, frames: root.frames }),
    samples: [eventFor({ service, language, errorType: root.type, message: root.message, stackTrace })],
    codebase,
  });
}

/** The faulting line of each known bug, and a line of its neighbourhood that must come along. */
const BUGS = [
  {
    bug: 'KeyError on a SKU missing from the price table',
    trace: 'orders-keyerror.txt',
    language: 'python',
    service: 'orders',
    file: 'orders/service.py',
    line: 14,
    faulting: 'unit_price = PRICES[line["sku"]]',
    neighbour: '"SKU-003": 499,',
  },
  {
    bug: 'None dereference of an unknown customer',
    trace: 'orders-none.txt',
    language: 'python',
    service: 'orders',
    file: 'orders/customers.py',
    line: 28,
    faulting: 'address = customer.email.lower()',
    neighbour: 'return None',
  },
  {
    bug: 'off-by-one loop over invoice items',
    trace: 'billing-off-by-one.txt',
    language: 'node',
    service: 'billing',
    file: 'billing/src/invoice.js',
    line: 8,
    faulting: 'total += items[i].amount;',
    neighbour: 'for (let i = 0; i <= items.length; i++) {',
  },
  {
    bug: 'off-by-one warehouse index (Java, package-style frame)',
    trace: 'inventory-out-of-bounds.txt',
    language: 'java',
    service: 'inventory',
    file: 'inventory/src/main/java/com/acme/inventory/StockLevels.java',
    line: 16,
    faulting: 'return levels[warehouseNumber];',
    neighbour: 'public int levelAt(int warehouseNumber) {',
  },
] as const;

describe('evidence for the sample application', () => {
  it.each(BUGS)('$bug: the innermost snippet is $file around line $line', async (bug) => {
    const evidence = await evidenceFor(bug.trace, bug.language, bug.service);
    const snippet = evidence.code[0];
    expect(snippet?.path).toBe(bug.file);
    expect(snippet?.focusLines).toContain(bug.line);
    const faulting = snippet?.lines.find((l) => l.number === bug.line);
    expect(faulting?.text.trim()).toBe(bug.faulting);
    expect(snippet?.lines.some((l) => l.text.trim() === bug.neighbour)).toBe(true);
    // +-20 lines by default, clamped to the file.
    expect(snippet?.lines[0]?.number).toBe(Math.max(1, bug.line - 20));
    expect(snippet?.lines.at(-1)?.number).toBe(Math.min(snippet?.totalLines ?? 0, bug.line + 20));
    expect(evidence.unresolvedFrames.filter((u) => u.reason !== 'runtime-internal')).toEqual([]);

    const prompt = renderDiagnosisPrompt(evidence, { maxContextTokens: 20_000 });
    const marked = new RegExp(`^> +${bug.line} \\| +${escapeRegExp(bug.faulting)}$`, 'm');
    expect(prompt.user).toMatch(marked);
    expect(prompt.user).toContain(`file: ${bug.file}`);
  });

  it('shows the callers of the faulting frame too, marking every frame line of a shared snippet', async () => {
    const evidence = await evidenceFor('orders-keyerror.txt', 'python', 'orders');
    expect(evidence.code.map((s) => s.path)).toEqual(['orders/service.py', 'orders/app.py']);
    expect(evidence.code[0]?.focusLines).toEqual([14, 20]);
    expect(evidence.code[0]?.frames).toHaveLength(2);
    // The Flask frames are library code: not resolved, not listed as unresolved either.
    expect(evidence.unresolvedFrames).toEqual([]);
  });

  it('lists ambiguous and unresolvable frames with their reasons', async () => {
    const evidence = await evidenceFor('shipping-ambiguous-and-unresolvable.txt', 'python', 'shipping');
    expect(evidence.code.map((s) => s.path)).toEqual(['shipping/rates.py']);
    const byFile = Object.fromEntries(evidence.unresolvedFrames.map((u) => [u.file, u]));
    expect(byFile['/app/config.py']).toMatchObject({
      reason: 'ambiguous',
      candidates: ['orders/config.py', 'shipping/config.py'],
    });
    expect(byFile['/app/shipping/quotes.py']).toMatchObject({ reason: 'not-found', line: 31 });
    expect(byFile['/app/shipping/quotes.py']?.detail).toContain('no file named quotes.py');
    const prompt = renderDiagnosisPrompt(evidence, { maxContextTokens: 20_000 });
    expect(prompt.user).toContain('Frames that could not be resolved to code (2)');
    expect(prompt.user).toContain('ambiguous');
    expect(prompt.user).toContain('candidates: orders/config.py, shipping/config.py');
  });

  it('says when the line is past the end of the file (deployed code differs from the codebase)', async () => {
    const evidence = await assembleEvidence({
      signature: signatureFor({
        frames: [
          { file: '/app/orders/service.py', line: 400, function: 'gone', module: 'orders.service', inApp: true },
        ],
      }),
      samples: [],
      codebase,
    });
    expect(evidence.code[0]?.notes.join()).toContain('line 400 is past the end of the file (22 lines)');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
