/**
 * @module The GitHub issue notifier: ONE issue per signature, ever. Later reports edit it in place, a regression
 * comments and reopens it, resolving the signature closes it.
 *
 * No duplicate, even across a crash: the issue number is kept in the store (`recordNotification`, channel
 * `github_issue`, key `issue`). Creating an issue and recording its number cannot be one transaction, so:
 *  1. before the first create, a `issue-pending` record is written (its time bounds when the issue can have been
 *     created);
 *  2. while a signature has `issue-pending` but no `issue`, a create may have reached GitHub without its number
 *     reaching the store (crash, lost response, store outage). Before creating, and before resending a create
 *     that failed ambiguously (5xx, timeout), the repository's issues created since then are listed and the one
 *     whose body starts with the hidden marker `<!-- rounds-signature: sig_... -->` is adopted;
 *  3. only when none is found is an issue created, and its number recorded at once.
 * The listing endpoint is read from GitHub's database; the search API is an eventually consistent index that can
 * miss exactly the issue a crash just created, so it is not used. In the common path (number recorded) this costs
 * no extra call. What it does not cover: a store that lost its records entirely (a new database file), or two
 * Rounds processes creating the same signature's issue at the same moment (one process owns a SQLite store).
 */
import type { Signature } from '../../domain/index.js';
import type { Logger } from '../../observability/logger.js';
import type { Notification, Notifier, SignatureStore } from '../../ports/index.js';
import type { TraceUrl } from '../report.js';
import { GithubClient, type IssueEdit, type IssueRef, type RetryPolicy } from './client.js';
import {
  hasSignatureMarker,
  renderBody,
  renderRegressionComment,
  renderResolvedComment,
  renderTitle,
} from './render.js';

export const GITHUB_CHANNEL = 'github_issue';
const ISSUE_KEY = 'issue';
const PENDING_KEY = 'issue-pending';
/** Our clock and GitHub's may disagree; the crash-window listing starts this much before the pending record. */
const CLOCK_SKEW_MS = 10 * 60_000;

export interface GithubIssueNotifierOptions {
  token: string;
  /** `owner/repo`. */
  repo: string;
  /** GitHub Enterprise API root; api.github.com when absent. */
  apiUrl?: string | undefined;
  /** Added when an issue is created; later edits leave labels to the humans. */
  labels: readonly string[];
  store: Pick<SignatureStore, 'recordNotification' | 'listNotifications'>;
  traceUrl?: TraceUrl | undefined;
  logger: Logger;
  retry?: Partial<RetryPolicy> | undefined;
  now?: () => number;
}

interface KnownIssue {
  readonly number?: number;
  /** When the first create was attempted, if one was. */
  readonly pendingSince?: number;
}

export class GithubIssueNotifier implements Notifier {
  readonly name = GITHUB_CHANNEL;
  private readonly client: GithubClient;
  private readonly now: () => number;
  private readonly logger: Logger;
  /** Reports of one signature run one after another, so two of them cannot both decide to create its issue. */
  private readonly queues = new Map<string, Promise<void>>();
  private labelsReady: Promise<void> | undefined;

  constructor(private readonly options: GithubIssueNotifierOptions) {
    this.logger = options.logger.child({ component: 'notifier', notifier: GITHUB_CHANNEL });
    this.client = new GithubClient({
      token: options.token,
      repo: options.repo,
      apiUrl: options.apiUrl,
      logger: this.logger,
      retry: options.retry,
    });
    this.now = options.now ?? (() => Date.now());
  }

  /** Rejects when GitHub or the store fails, after bounded retries, so the caller can try again later. */
  async notify(notification: Notification): Promise<void> {
    await this.inTurn(notification.signature.id, () => this.handle(notification));
  }

  private async handle(notification: Notification): Promise<void> {
    const { kind, signature } = notification;
    switch (kind) {
      case 'new_signature':
      case 'diagnosis':
        await this.upsert(notification);
        return;
      case 'update': {
        // Counts and last-seen only: an update never opens an issue that no report asked for.
        const known = await this.knownIssue(signature.id);
        if (known.number === undefined) return;
        await this.client.updateIssue(known.number, this.content(notification));
        return;
      }
      case 'regression': {
        const issue = await this.upsert(notification, { state: 'open', stateReason: 'reopened' });
        await this.commentOnce(signature, issue, `comment:regression:${signature.lastSeen}`, () =>
          renderRegressionComment(signature, notification.samples),
        );
        return;
      }
      case 'resolved': {
        const known = await this.knownIssue(signature.id);
        if (known.number === undefined) {
          this.logger.info({ signatureId: signature.id }, 'resolved signature has no issue to close');
          return;
        }
        await this.commentOnce(signature, known.number, `comment:resolved:${signature.lastSeen}`, () =>
          renderResolvedComment(signature),
        );
        await this.client.updateIssue(known.number, {
          ...this.content(notification),
          state: 'closed',
          stateReason: 'completed',
        });
        this.logger.info({ signatureId: signature.id, issue: known.number }, 'closed the GitHub issue');
        return;
      }
    }
  }

  /** Edits the signature's issue in place, or creates it when it has none; returns its number. */
  private async upsert(
    notification: Notification,
    state: Pick<IssueEdit, 'state' | 'stateReason'> = {},
  ): Promise<number> {
    const { signature } = notification;
    const known = await this.knownIssue(signature.id);
    if (known.number !== undefined) {
      await this.client.updateIssue(known.number, { ...this.content(notification), ...state });
      this.logger.info({ signatureId: signature.id, issue: known.number, kind: notification.kind }, 'updated issue');
      return known.number;
    }
    const startedAt = known.pendingSince ?? this.now();
    if (known.pendingSince === undefined) {
      await this.record(signature.id, PENDING_KEY, undefined, startedAt);
    }
    await this.ensureLabels();
    const issue = await this.client.createIssue({ ...this.content(notification), labels: this.options.labels }, () =>
      this.findExisting(signature.id, startedAt),
    );
    await this.rememberIssue(signature.id, issue);
    this.logger.info({ signatureId: signature.id, issue: issue.number, url: issue.url }, 'opened a GitHub issue');
    return issue.number;
  }

  /** The recorded issue number, else (after an unfinished create) the issue GitHub has with our marker. */
  private async knownIssue(signatureId: string): Promise<KnownIssue> {
    const records = (await this.options.store.listNotifications(signatureId)).filter(
      (r) => r.channel === GITHUB_CHANNEL,
    );
    const recorded = Number(records.find((r) => r.key === ISSUE_KEY)?.externalRef);
    if (Number.isSafeInteger(recorded) && recorded > 0) return { number: recorded };
    const pending = records.find((r) => r.key === PENDING_KEY);
    if (pending === undefined) return {};
    const found = await this.findExisting(signatureId, pending.at);
    if (found === undefined) return { pendingSince: pending.at };
    this.logger.warn(
      { signatureId, issue: found.number },
      'adopted an issue created before its number was recorded (crash or lost response)',
    );
    await this.rememberIssue(signatureId, found);
    return { number: found.number };
  }

  private findExisting(signatureId: string, pendingSince: number): Promise<IssueRef | undefined> {
    return this.client.findIssue((body) => hasSignatureMarker(body, signatureId), pendingSince - CLOCK_SKEW_MS);
  }

  private async rememberIssue(signatureId: string, issue: IssueRef): Promise<void> {
    if (await this.record(signatureId, ISSUE_KEY, String(issue.number), this.now())) return;
    // Only another writer on the same store gets here; say so rather than silently keep two issues.
    const kept = (await this.options.store.listNotifications(signatureId)).find(
      (r) => r.channel === GITHUB_CHANNEL && r.key === ISSUE_KEY,
    );
    if (kept?.externalRef !== String(issue.number)) {
      this.logger.error(
        { signatureId, issue: issue.number, kept: kept?.externalRef },
        'another writer recorded a different issue for this signature; keeping the recorded one',
      );
    }
  }

  /** Posts a comment once per key: a report retried after a later step failed does not comment twice. */
  private async commentOnce(signature: Signature, issue: number, key: string, render: () => string): Promise<void> {
    const records = await this.options.store.listNotifications(signature.id);
    if (records.some((r) => r.channel === GITHUB_CHANNEL && r.key === key)) return;
    const commentId = await this.client.addComment(issue, render());
    await this.record(signature.id, key, String(commentId), this.now());
  }

  private record(signatureId: string, key: string, externalRef: string | undefined, at: number): Promise<boolean> {
    return this.options.store.recordNotification({
      signatureId,
      channel: GITHUB_CHANNEL,
      key,
      ...(externalRef === undefined ? {} : { externalRef }),
      at,
    });
  }

  private content(notification: Notification): { title: string; body: string } {
    const { signature, samples } = notification;
    return {
      title: renderTitle(signature),
      body: renderBody({ signature, samples, traceUrl: this.options.traceUrl, updatedAt: this.now() }),
    };
  }

  /** Before the first create of this process; label trouble is logged, retried at the next create, never blocking. */
  private ensureLabels(): Promise<void> {
    this.labelsReady ??= Promise.all(this.options.labels.map((label) => this.client.ensureLabel(label))).then((ok) => {
      if (ok.includes(false)) this.labelsReady = undefined;
    });
    return this.labelsReady;
  }

  private async inTurn(signatureId: string, task: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(signatureId) ?? Promise.resolve();
    const current = previous.then(task);
    const settled = current.catch(() => undefined);
    this.queues.set(signatureId, settled);
    try {
      await current;
    } finally {
      if (this.queues.get(signatureId) === settled) this.queues.delete(signatureId);
    }
  }
}
