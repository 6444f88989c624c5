/**
 * @module The daemon's background rounds: triage then claim diagnosis work every interval, and deliver queued
 * reports every few seconds (and at once after a diagnosis). A round never overlaps the previous one, and a failing
 * round is logged and tried again at the next tick: the daemon never dies of it.
 */
import type { Logger } from '../observability/logger.js';
import type { InvestigationWorker } from './investigation-worker.js';
import type { OutboxDispatcher } from './outbox-dispatcher.js';
import type { TriagePass } from './triage-pass.js';

export interface WorkflowLoopsOptions {
  readonly triage: TriagePass;
  readonly worker: InvestigationWorker;
  readonly outbox: OutboxDispatcher;
  readonly logger: Logger;
  readonly triageIntervalMs: number;
  readonly outboxIntervalMs?: number;
}

export class WorkflowLoops {
  private timers: NodeJS.Timeout[] = [];
  private triageRound: Promise<void> | undefined;
  private outboxRound: Promise<void> | undefined;
  private outboxAgain = false;
  private stopped = false;

  constructor(private readonly options: WorkflowLoopsOptions) {}

  start(): void {
    const { triageIntervalMs, outboxIntervalMs = 5000 } = this.options;
    this.timers = [
      setInterval(() => this.runTriage(), triageIntervalMs),
      setInterval(() => this.deliver(), outboxIntervalMs),
    ];
    for (const timer of this.timers) timer.unref();
    this.runTriage();
    this.deliver();
  }

  /** Runs a delivery round now, or right after the one in progress. */
  deliver(): void {
    if (this.stopped) return;
    if (this.outboxRound) {
      this.outboxAgain = true;
      return;
    }
    this.outboxRound = this.guard('delivering reports', async () => {
      do {
        this.outboxAgain = false;
        const summary = await this.options.outbox.runOnce();
        if (summary.deferred > 0) this.options.logger.warn(summary, 'some reports were deferred');
      } while (this.outboxAgain && !this.stopped);
    }).finally(() => {
      this.outboxRound = undefined;
    });
  }

  /** Triage plus claiming, now, unless a round is already running. */
  runTriage(): void {
    if (this.stopped || this.triageRound) return;
    this.triageRound = this.guard('triage', async () => {
      await this.options.triage.run();
      await this.options.worker.fill();
    }).finally(() => {
      this.triageRound = undefined;
    });
  }

  /** Resolves when the rounds in progress are done; diagnoses in progress are stopped by the worker. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.options.worker.stop();
    await Promise.all([this.triageRound, this.outboxRound]);
  }

  private async guard(what: string, round: () => Promise<void>): Promise<void> {
    try {
      await round();
    } catch (error) {
      this.options.logger.error({ err: error }, `${what} failed; trying again at the next round`);
    }
  }
}
