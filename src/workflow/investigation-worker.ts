/**
 * @module The investigation worker: claims queued signatures with a lease, runs the diagnosis engine with a
 * timeout, and stores the result or counts the failure with exponential backoff. The lease is renewed while the
 * engine works, so only a crashed or stuck worker's claim ever expires and returns to the queue.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RoundsError, type Signature } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { DiagnosisEngine, InvestigationClaim, SignatureStore } from '../ports/index.js';

export interface InvestigationWorkerOptions {
  readonly store: SignatureStore;
  readonly engine: DiagnosisEngine;
  readonly logger: Logger;
  /** Diagnoses run at once by this worker. */
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  /** Backoff never waits longer than this (the triage cooldown). */
  readonly retryMaxMs: number;
  /** Checked before each diagnosis (the daily budget): a reason string skips it for now, undefined lets it run. */
  readonly beforeDiagnosis?: (claim: InvestigationClaim) => Promise<string | undefined>;
  /** Called after a diagnosis is stored, e.g. to deliver its report at once. */
  readonly onDiagnosed?: (signatureId: string) => void;
  readonly samplesPerDiagnosis?: number;
  readonly workerId?: string;
  readonly now?: () => number;
}

export type InvestigationOutcome = { ok: true; signature: Signature } | { ok: false; error: Error };

/** Margin past the engine timeout before a claim can be taken over: the time to store the result. */
const LEASE_MARGIN_MS = 60_000;

export class InvestigationWorker {
  readonly workerId: string;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private stopping = false;

  constructor(private readonly options: InvestigationWorkerOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.now = options.now ?? Date.now;
    this.logger = options.logger.child({ component: 'worker', workerId: this.workerId });
  }

  get leaseMs(): number {
    return this.options.timeoutMs + LEASE_MARGIN_MS;
  }

  get active(): number {
    return this.running.size;
  }

  /** Claims work until every slot is busy or the queue is empty; returns the ids it started. */
  async fill(): Promise<string[]> {
    const started: string[] = [];
    while (!this.stopping && this.running.size < this.options.concurrency) {
      const claim = await this.options.store.claimInvestigation(this.workerId, this.now(), this.leaseMs);
      if (!claim) break;
      const abort = new AbortController();
      const done = this.investigate(claim, abort.signal)
        .then(() => undefined)
        .finally(() => {
          this.running.delete(claim.signature.id);
          // A freed slot takes the next queued signature now rather than at the next triage round.
          if (!this.stopping)
            this.fill().catch((error: unknown) => this.logger.error({ err: error }, 'claiming failed'));
        });
      this.running.set(claim.signature.id, { abort, done });
      started.push(claim.signature.id);
    }
    return started;
  }

  /**
   * Diagnoses one signature now, queued or not (`rounds diagnose`), with the same lease, timeout and failure
   * accounting as the daemon. Rejects with the engine's error so the caller can show it.
   */
  async investigateNow(signatureId: string): Promise<InvestigationOutcome> {
    if (this.stopping) return { ok: false, error: new Error('Rounds is shutting down') };
    const claim = await this.options.store.claimSignature(signatureId, this.workerId, this.now(), this.leaseMs);
    if (!claim) return { ok: false, error: new Error(`${signatureId} is being diagnosed by another worker right now`) };
    // Tracked like queued work, so stop() aborts it and releases its claim instead of leaving the lease to expire.
    const abort = new AbortController();
    const outcome = this.investigate(claim, abort.signal);
    const done = outcome.then(() => undefined);
    this.running.set(signatureId, { abort, done });
    try {
      return await outcome;
    } finally {
      if (this.running.get(signatureId)?.done === done) this.running.delete(signatureId);
    }
  }

  /** Resolves when every diagnosis in progress has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Stops claiming, aborts what runs and releases those claims without counting them as failures. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const { abort } of this.running.values()) abort.abort(new Error('Rounds is shutting down'));
    await this.idle();
  }

  private async investigate(claim: InvestigationClaim, shutdown: AbortSignal): Promise<InvestigationOutcome> {
    const { store, engine } = this.options;
    const id = claim.signature.id;
    const log = this.logger.child({ signatureId: id, attempt: claim.attempts + 1 });
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = AbortSignal.any([shutdown, timeout]);
    const renewal = setInterval(() => void this.renew(id, log), Math.max(1000, this.leaseMs / 3));
    renewal.unref();
    try {
      const skip = await this.options.beforeDiagnosis?.(claim);
      if (skip !== undefined) {
        log.warn({ why: skip }, 'diagnosis postponed');
        await store.failInvestigation(id, this.workerId, {
          error: skip,
          at: this.now(),
          nextAttemptAt: this.now() + this.options.retryMaxMs,
          giveUp: false,
          countsAsAttempt: false,
        });
        return { ok: false, error: new Error(skip) };
      }
      log.info({ engine: engine.name, priority: claim.signature.triage?.priority }, 'diagnosis started');
      const samples = await store.listSamples(id, this.options.samplesPerDiagnosis ?? 5);
      const diagnosis = await raceAbort(engine.diagnose({ signature: claim.signature, samples }, signal), signal);
      const signature = await store.completeInvestigation(id, this.workerId, diagnosis);
      log.info({ confidence: diagnosis.confidence, costUsd: diagnosis.costUsd }, 'diagnosis stored');
      this.options.onDiagnosed?.(id);
      return { ok: true, signature };
    } catch (error) {
      await this.recordFailure(claim, error, shutdown.aborted, timeout.aborted, log);
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    } finally {
      clearInterval(renewal);
    }
  }

  private async recordFailure(
    claim: InvestigationClaim,
    error: unknown,
    shuttingDown: boolean,
    timedOut: boolean,
    log: Logger,
  ): Promise<void> {
    if (error instanceof RoundsError && error.code === 'ROUNDS_LEASE_LOST') {
      log.warn({ err: error }, 'the claim was lost while diagnosing; the result was dropped');
      return;
    }
    const attempts = claim.attempts + (shuttingDown ? 0 : 1);
    const giveUp = !shuttingDown && attempts >= this.options.maxAttempts;
    const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
    const reason = timedOut
      ? `the diagnosis took longer than ${Math.round(this.options.timeoutMs / 1000)} s`
      : error instanceof Error
        ? error.message
        : String(error);
    try {
      await this.options.store.failInvestigation(claim.signature.id, this.workerId, {
        error: reason,
        at: this.now(),
        nextAttemptAt: shuttingDown ? this.now() : this.now() + delay,
        giveUp,
        countsAsAttempt: !shuttingDown,
      });
    } catch (storeError) {
      // The lease runs out on its own and the signature returns to the queue; nothing is lost.
      log.error({ err: storeError }, 'could not record the failed diagnosis; its lease will expire instead');
    }
    if (shuttingDown) log.info('diagnosis interrupted by shutdown; released for another attempt');
    else if (giveUp) log.error({ err: error, attempts }, 'diagnosis failed; attempts exhausted, left the queue');
    else log.warn({ err: error, attempts, retryInMs: delay }, 'diagnosis failed; will retry');
  }

  private async renew(id: string, log: Logger): Promise<void> {
    try {
      const held = await this.options.store.renewInvestigation(id, this.workerId, this.now() + this.leaseMs);
      if (!held) log.warn('lost the claim while diagnosing');
    } catch (error) {
      log.warn({ err: error }, 'could not renew the claim; retrying at the next renewal');
    }
  }
}

/** An engine that ignores its signal still cannot hold a slot past the timeout. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
