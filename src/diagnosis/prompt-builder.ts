/**
 * @module The prompt builder the LLM engines share: evidence from the store and the codebase, assembled, redacted,
 * fenced and fitted to the context budget. The codebase index is built once and refreshed every few minutes, so a
 * deploy that changes the code is picked up without a restart.
 */
import type { Logger } from '../observability/logger.js';
import type { InvestigationContext } from '../ports/index.js';
import {
  assembleEvidence,
  type CodebaseAccess,
  type EvidenceStore,
  loadEvidenceInputs,
  openCodebase,
  renderDiagnosisPrompt,
} from './context/index.js';

export interface PromptBuilderOptions {
  readonly store: EvidenceStore;
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
    const bundle = await assembleEvidence({
      signature: context.signature,
      samples: inputs.samples.length > 0 ? inputs.samples : context.samples,
      traces: inputs.traces,
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
}
