/**
 * @module The diagnosis service: what every path (daemon worker, CLI, webhook) calls. It checks the daily budget
 * from the durable cost ledger before each diagnosis (shared by every instance on the store), falls back to the
 * offline engine when the budget is spent (and says so), and verifies the chosen engine's citations.
 */
import type { Diagnosis } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { DiagnosisEngine, InvestigationContext, SignatureStore } from '../ports/index.js';
import { checkCitations } from './citations.js';
import type { CodebaseAccess } from './context/index.js';

export interface DiagnosisServiceOptions {
  /** The configured engine (may itself be the offline one). */
  readonly engine: DiagnosisEngine;
  readonly offline: DiagnosisEngine;
  readonly store: Pick<SignatureStore, 'costSince' | 'getTraceSnapshot'>;
  /** DAILY_BUDGET_LIMIT in USD per UTC day; 0 means no LLM spend at all. */
  readonly dailyBudgetUsd: number;
  readonly codebase: () => Promise<CodebaseAccess | undefined>;
  readonly logger: Logger;
  readonly now?: () => number;
}

export class DiagnosisService implements DiagnosisEngine {
  readonly name: DiagnosisEngine['name'];
  private readonly now: () => number;

  constructor(private readonly options: DiagnosisServiceOptions) {
    this.name = options.engine.name;
    this.now = options.now ?? Date.now;
  }

  async diagnose(context: InvestigationContext, signal?: AbortSignal): Promise<Diagnosis> {
    const { engine, offline } = this.options;
    if (engine.name === 'offline') return offline.diagnose(context, signal);
    const spent = await this.options.store.costSince(startOfUtcDay(this.now()));
    if (spent >= this.options.dailyBudgetUsd) {
      const why = `the daily budget is spent ($${spent.toFixed(2)} of DAILY_BUDGET_LIMIT=$${this.options.dailyBudgetUsd.toFixed(2)} today, UTC); diagnosed offline instead of with ${engine.name}`;
      this.options.logger.warn({ signatureId: context.signature.id, spent }, why);
      const fallback = await offline.diagnose(context, signal);
      return { ...fallback, notes: [...(fallback.notes ?? []), why] };
    }
    const diagnosis = await engine.diagnose(context, signal);
    return checkCitations(diagnosis, {
      knownIds: await this.knownIds(context),
      ...(await this.codebaseOrNothing()),
    });
  }

  private async codebaseOrNothing(): Promise<{ codebase?: CodebaseAccess }> {
    const codebase = await this.options.codebase();
    return codebase ? { codebase } : {};
  }

  /** Trace and span ids of the samples and of every span in their stored traces. */
  private async knownIds(context: InvestigationContext): Promise<Set<string>> {
    const ids = new Set<string>();
    const traceIds = new Set<string>();
    for (const sample of context.samples) {
      if (sample.traceId) traceIds.add(sample.traceId.toLowerCase());
      if (sample.spanId) ids.add(sample.spanId.toLowerCase());
    }
    for (const traceId of traceIds) {
      ids.add(traceId);
      const snapshot = await this.options.store.getTraceSnapshot(traceId).catch(() => undefined);
      for (const span of snapshot?.spans ?? []) ids.add(span.spanId.toLowerCase());
    }
    return ids;
  }
}

export function startOfUtcDay(ms: number): number {
  const day = new Date(ms);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
}
