/**
 * @module The prompt builder the LLM engines share: evidence from the store and the codebase, assembled, redacted,
 * fenced and fitted to the context budget. The codebase index is built once and refreshed every few minutes, so a
 * deploy that changes the code is picked up without a restart.
 */

import type { Attributes, ErrorEvent, TraceSnapshot } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { InvestigationContext, SignatureStore } from '../ports/index.js';
import {
  assembleEvidence,
  type CodebaseAccess,
  type CorrelatedLog,
  type EvidenceStore,
  loadEvidenceInputs,
  openCodebase,
  renderDiagnosisPrompt,
} from './context/index.js';

export interface PromptBuilderOptions {
  readonly store: EvidenceStore & Pick<SignatureStore, 'listSamplesInTraces'>;
  readonly codebasePath: string;
  readonly maxContextTokens: number;
  readonly redact: (text: string) => string;
  readonly logger: Logger;
  readonly codebaseRefreshMs?: number;
  readonly now?: () => number;
}

export interface BuiltPrompt {
  readonly system: string;
  readonly user: string;
}

export class DiagnosisPromptBuilder {
  private codebase: { access: Promise<CodebaseAccess | undefined>; openedAt: number } | undefined;
  private readonly now: () => number;

  constructor(private readonly options: PromptBuilderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The codebase as last indexed (undefined when CODEBASE_PATH cannot be read: evidence then says so). */
  codebaseAccess(): Promise<CodebaseAccess | undefined> {
    const refreshMs = this.options.codebaseRefreshMs ?? 5 * 60_000;
    if (!this.codebase || this.now() - this.codebase.openedAt > refreshMs) {
      const access = openCodebase(this.options.codebasePath).catch((error: unknown) => {
        this.options.logger.warn(
          { err: error, codebasePath: this.options.codebasePath },
          'CODEBASE_PATH cannot be read; diagnoses will have no code evidence',
        );
        return undefined;
      });
      this.codebase = { access, openedAt: this.now() };
    }
    return this.codebase.access;
  }

  async build(context: InvestigationContext): Promise<BuiltPrompt> {
    const [inputs, codebase] = await Promise.all([
      loadEvidenceInputs(this.options.store, context.signature),
      this.codebaseAccess(),
    ]);
    const samples = inputs.samples.length > 0 ? inputs.samples : context.samples;
    const bundle = await assembleEvidence({
      signature: context.signature,
      samples,
      traces: inputs.traces,
      logs: await this.relatedErrors(samples),
      baseline: baselineOf(inputs.traces, samples),
      similar: inputs.similar,
      notes: [...inputs.notes, ...(codebase ? [] : [`the codebase at ${this.options.codebasePath} could not be read`])],
      ...(codebase ? { codebase } : {}),
    });
    const prompt = renderDiagnosisPrompt(bundle, {
      maxContextTokens: this.options.maxContextTokens,
      redact: this.options.redact,
    });
    if (prompt.trimmed.length > 0) {
      this.options.logger.info(
        { signatureId: context.signature.id, trimmed: prompt.trimmed, tokens: prompt.estimatedTokens },
        'evidence trimmed to fit DIAGNOSIS_MAX_CONTEXT_TOKENS',
      );
    }
    return { system: prompt.system, user: prompt.user };
  }

  /** Errors and exception logs of other signatures in the same traces: what else failed in those requests. */
  private async relatedErrors(samples: readonly ErrorEvent[]): Promise<CorrelatedLog[]> {
    const traceIds = [...new Set(samples.map((s) => s.traceId).filter((id): id is string => id !== undefined))];
    if (traceIds.length === 0) return [];
    const own = new Set(samples.map((s) => s.eventId));
    try {
      const related = await this.options.store.listSamplesInTraces(traceIds, 50);
      return related
        .filter((event) => !own.has(event.eventId))
        .map((event) => ({
          timestamp: event.timestamp,
          body: `${event.errorType}: ${event.message}`,
          severity: 'ERROR',
          service: event.service,
          ...(event.traceId ? { traceId: event.traceId } : {}),
          ...(event.spanId ? { spanId: event.spanId } : {}),
        }));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not read related errors; the prompt goes without them');
      return [];
    }
  }
}

/**
 * The baseline for attribute contrast: spans of the same operations that did not fail, from the stored traces of
 * the samples. Only what those traces hold; a receiver-wide baseline would need every span, which is not kept.
 */
export function baselineOf(traces: readonly TraceSnapshot[], samples: readonly ErrorEvent[]): Attributes[] {
  const operations = new Set(samples.map((s) => s.operation).filter((o): o is string => o !== undefined));
  const errorSpans = new Set(samples.map((s) => s.spanId).filter((id): id is string => id !== undefined));
  const baseline: Attributes[] = [];
  for (const trace of traces) {
    for (const span of trace.spans) {
      if (span.statusCode === 2 || errorSpans.has(span.spanId) || !operations.has(span.name)) continue;
      baseline.push({ ...span.attributes, 'service.name': span.service });
    }
  }
  return baseline;
}
