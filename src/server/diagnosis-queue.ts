/**
 * @module Diagnoses the webhook asked for: at most `concurrency` at once, a short queue behind them, one run per
 * signature at a time (a second alert about a signature being diagnosed joins that run instead of paying twice),
 * and a bounded wait at shutdown.
 */
import type { RoundsApp } from '../app.js';
import { RoundsError, type Signature } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';

/** What `RoundsApp.diagnoseNow` resolves with. */
export type InvestigationOutcome = Awaited<ReturnType<RoundsApp['diagnoseNow']>>;

/** How one requested diagnosis ended. */
export type DiagnosisResult =
  | { readonly kind: 'diagnosed'; readonly signature: Signature }
  /** Another worker (the daemon, `rounds diagnose`, another instance) holds the claim. */
  | { readonly kind: 'busy'; readonly message: string }
  /** The lifecycle forbids it (muted or resolved meanwhile). */
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'not_found'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string }
  /** Never started: Rounds was stopping. */
  | { readonly kind: 'cancelled'; readonly message: string };

export type Submitted =
  | { readonly accepted: true; readonly done: Promise<DiagnosisResult>; readonly joined: boolean }
  /** `full`: the queue is at its bound (429); `closed`: Rounds is stopping (503). */
  | { readonly accepted: false; readonly reason: 'full' | 'closed' };

export interface DiagnosisQueueOptions {
  readonly diagnose: (signatureId: string) => Promise<InvestigationOutcome>;
  readonly concurrency: number;
  /** Waiting beyond the running ones; more is refused (429). */
  readonly maxQueued: number;
  readonly logger: Logger;
}

interface Job {
  readonly id: string;
  readonly done: Promise<DiagnosisResult>;
  readonly settle: (result: DiagnosisResult) => void;
}

/**
 * investigateNow reports a claim held elsewhere as a plain error with this wording
 * (src/workflow/investigation-worker.ts); it is a 409, not a failed diagnosis.
 */
const HELD_ELSEWHERE = /is being diagnosed by another worker/;

export class DiagnosisQueue {
  private readonly waiting: Job[] = [];
  private readonly running = new Map<string, Job>();
  private readonly byId = new Map<string, Job>();
  private closed = false;

  constructor(private readonly options: DiagnosisQueueOptions) {}

  get active(): number {
    return this.running.size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Starts or queues a diagnosis of `id`; joins the one already waiting or running for it. */
  submit(id: string): Submitted {
    const existing = this.byId.get(id);
    if (existing !== undefined) return { accepted: true, done: existing.done, joined: true };
    if (this.closed) return { accepted: false, reason: 'closed' };
    if (this.running.size >= this.options.concurrency && this.waiting.length >= this.options.maxQueued) {
      return { accepted: false, reason: 'full' };
    }
    let settle: (result: DiagnosisResult) => void = () => {};
    const done = new Promise<DiagnosisResult>((resolve) => {
      settle = resolve;
    });
    const job: Job = { id, done, settle };
    this.byId.set(id, job);
    this.waiting.push(job);
    this.pump();
    return { accepted: true, done, joined: false };
  }

  /**
   * Stops taking work, drops what has not started (logged, so the ids can be diagnosed later) and waits up to
   * `timeoutMs` for the running diagnoses. Resolves true when they all ended in time.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    const dropped = this.waiting.splice(0);
    for (const job of dropped) {
      this.byId.delete(job.id);
      job.settle({ kind: 'cancelled', message: 'Rounds is shutting down; the diagnosis did not start' });
    }
    if (dropped.length > 0) {
      this.options.logger.warn(
        { signatureIds: dropped.map((job) => job.id) },
        'requested diagnoses not started before shutdown; run `rounds diagnose <id>` for them',
      );
    }
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const allDone = Promise.all([...this.running.values()].map((job) => job.done)).then(() => true as const);
    try {
      return await Promise.race([allDone, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.options.concurrency) {
      const job = this.waiting.shift();
      if (job === undefined) return;
      this.running.set(job.id, job);
      void this.run(job);
    }
  }

  private async run(job: Job): Promise<void> {
    const log = this.options.logger.child({ signatureId: job.id });
    let result: DiagnosisResult;
    try {
      result = toResult(await this.options.diagnose(job.id));
    } catch (error) {
      result = fromThrown(error);
    }
    if (result.kind === 'diagnosed') log.info('requested diagnosis stored');
    else log.warn({ outcome: result.kind, reason: result.message }, 'requested diagnosis did not complete');
    this.running.delete(job.id);
    this.byId.delete(job.id);
    job.settle(result);
    this.pump();
  }
}

function toResult(outcome: InvestigationOutcome): DiagnosisResult {
  if (outcome.ok) return { kind: 'diagnosed', signature: outcome.signature };
  const message = outcome.error.message;
  return HELD_ELSEWHERE.test(message) ? { kind: 'busy', message } : { kind: 'failed', message };
}

function fromThrown(error: unknown): DiagnosisResult {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RoundsError && error.code === 'ROUNDS_NOT_FOUND') return { kind: 'not_found', message };
  if (error instanceof RoundsError && error.code === 'ROUNDS_ILLEGAL_TRANSITION') return { kind: 'refused', message };
  return { kind: 'failed', message };
}
