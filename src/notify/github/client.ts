/**
 * @module A small GitHub issues client: the real @octokit/rest underneath with its own retries off, and one retry
 * policy on top that honours rate limits (`retry-after`, `x-ratelimit-reset`), retries 5xx and network failures,
 * and bounds both the attempts and the total wait.
 */
import type { Octokit } from '@octokit/rest';
import type { Logger } from '../../observability/logger.js';

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** Total sleep per call; a rate limit that resets later than this fails now, for the caller to retry later. */
  maxTotalWaitMs: number;
  /** First back-off after a 5xx or network failure; doubles each attempt. */
  baseDelayMs: number;
  /** One request's time limit; a request that hangs counts as a network failure. */
  requestTimeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  maxTotalWaitMs: 60_000,
  baseDelayMs: 1000,
  requestTimeoutMs: 30_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** GitHub asks for at least a minute after a secondary rate limit that names no time. */
const SECONDARY_LIMIT_WAIT_MS = 60_000;

export class GithubApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, when GitHub answered at all. */
    readonly status: number | undefined,
    /** Whether the same call later can succeed (rate limit, outage), as opposed to a bad token or a missing repo. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GithubApiError';
  }
}

export interface IssueRef {
  readonly number: number;
  readonly url: string;
}

export interface IssueEdit {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  stateReason?: 'completed' | 'reopened';
}

export interface GithubClientOptions {
  token: string;
  /** `owner/repo`. */
  repo: string;
  /** GitHub Enterprise API root, e.g. `https://ghe.example.com/api/v3`; api.github.com when absent. */
  apiUrl?: string | undefined;
  logger: Logger;
  retry?: Partial<RetryPolicy> | undefined;
}

type Verdict = { kind: 'fatal' } | { kind: 'rate_limited' | 'unavailable'; waitMs: number };

export class GithubClient {
  /** Loaded on the first request: a daemon that never reports to GitHub never pays for the library. */
  private octokitReady: Promise<Octokit> | undefined;
  private readonly token: string;
  private readonly apiUrl: string | undefined;
  private readonly owner: string;
  private readonly repo: string;
  private readonly policy: RetryPolicy;
  private readonly logger: Logger;

  constructor(options: GithubClientOptions) {
    const [owner, repo, ...rest] = options.repo.split('/');
    if (!owner || !repo || rest.length > 0) {
      throw new GithubApiError(`GITHUB_REPO must be owner/repo, got "${options.repo}"`, undefined, false);
    }
    this.owner = owner;
    this.repo = repo;
    this.logger = options.logger;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.token = options.token;
    this.apiUrl = options.apiUrl;
  }

  private octokit(): Promise<Octokit> {
    this.octokitReady ??= import('@octokit/rest').then(({ Octokit: OctokitClass }) => this.build(OctokitClass));
    return this.octokitReady;
  }

  private build(OctokitClass: typeof Octokit): Octokit {
    return new OctokitClass({
      auth: this.token,
      baseUrl: this.apiUrl ?? 'https://api.github.com',
      userAgent: 'rounds',
      // Retries are ours (below); nothing underneath may resend a non-idempotent create.
      request: { retries: 0 },
      // Only the message: octokit passes the request options (with the Authorization header) as a second argument.
      log: {
        debug: (message: string) => this.logger.trace({ component: 'github' }, message),
        info: (message: string) => this.logger.debug({ component: 'github' }, message),
        warn: (message: string) => this.logger.warn({ component: 'github' }, message),
        error: (message: string) => this.logger.debug({ component: 'github' }, message),
      },
    });
  }

  /**
   * Creates an issue. A 5xx or a lost response is ambiguous (GitHub may have created it), so before every resend
   * `recover` is asked whether the issue now exists; only when it says no is the create sent again.
   */
  async createIssue(
    issue: { title: string; body: string; labels: readonly string[] },
    recover: () => Promise<IssueRef | undefined>,
  ): Promise<IssueRef> {
    return this.call(
      'create issue',
      async (signal) => {
        const { data } = await (await this.octokit()).rest.issues.create({
          owner: this.owner,
          repo: this.repo,
          title: issue.title,
          body: issue.body,
          labels: [...issue.labels],
          request: { signal },
        });
        return { number: data.number, url: data.html_url };
      },
      { recover },
    );
  }

  async updateIssue(issueNumber: number, edit: IssueEdit): Promise<void> {
    await this.call(`update issue #${issueNumber}`, async (signal) =>
      (await this.octokit()).rest.issues.update({
        owner: this.owner,
        repo: this.repo,
        issue_number: issueNumber,
        ...(edit.title === undefined ? {} : { title: edit.title }),
        ...(edit.body === undefined ? {} : { body: edit.body }),
        ...(edit.state === undefined ? {} : { state: edit.state }),
        ...(edit.stateReason === undefined ? {} : { state_reason: edit.stateReason }),
        request: { signal },
      }),
    );
  }

  /**
   * Comments are not idempotent either, but a duplicate comment is a nuisance, not a second issue: a 5xx is
   * retried as is.
   */
  async addComment(issueNumber: number, body: string): Promise<number> {
    return this.call(`comment on issue #${issueNumber}`, async (signal) => {
      const { data } = await (await this.octokit()).rest.issues.createComment({
        owner: this.owner,
        repo: this.repo,
        issue_number: issueNumber,
        body,
        request: { signal },
      });
      return data.id;
    });
  }

  /**
   * Creates the label when missing (a 422 means it exists); true when it exists now. Labels are cosmetic, so one
   * attempt only and failures are only logged: an outage is better spent on the issue itself.
   */
  async ensureLabel(name: string): Promise<boolean> {
    try {
      await this.call(
        `create label ${name}`,
        async (signal) =>
          (await this.octokit()).rest.issues.createLabel({
            owner: this.owner,
            repo: this.repo,
            name,
            color: 'b60205',
            request: { signal },
          }),
        { maxAttempts: 1 },
      );
      return true;
    } catch (error) {
      if (error instanceof GithubApiError && error.status === 422) return true;
      this.logger.warn({ component: 'github', label: name, err: error }, 'could not create a label; continuing');
      return false;
    }
  }

  /**
   * Finds the first issue whose body `matches`, among issues created at or after `createdAfterMs`. Uses the
   * repository issue list (read from GitHub's database, so an issue created a moment ago is already there), not
   * the search API (an eventually consistent index that can miss exactly the issue a crash just created).
   */
  async findIssue(
    matches: (body: string | null | undefined) => boolean,
    createdAfterMs: number,
  ): Promise<IssueRef | undefined> {
    const since = new Date(createdAfterMs).toISOString();
    for (let page = 1; page <= 10; page++) {
      const { data } = await this.call(`list issues since ${since}`, async (signal) =>
        (await this.octokit()).rest.issues.listForRepo({
          owner: this.owner,
          repo: this.repo,
          state: 'all',
          since,
          sort: 'created',
          direction: 'desc',
          per_page: 100,
          page,
          request: { signal },
        }),
      );
      for (const issue of data) {
        if (issue.pull_request === undefined && matches(issue.body)) {
          return { number: issue.number, url: issue.html_url };
        }
      }
      // `since` filters on updated_at; sorted newest-created first, so once a page reaches issues created before
      // the window, no later page can hold one inside it.
      const oldest = data.at(-1);
      if (data.length < 100 || oldest === undefined || Date.parse(oldest.created_at) < createdAfterMs) return undefined;
    }
    // More than 1000 issues in the window: refusing is better than a guess that could open a duplicate.
    throw new GithubApiError(`too many issues created since ${since} to rule out an existing one`, undefined, true);
  }

  private async call<T>(
    operation: string,
    send: (signal: AbortSignal) => Promise<T>,
    options: { recover?: () => Promise<T | undefined>; maxAttempts?: number } = {},
  ): Promise<T> {
    const { recover, maxAttempts = this.policy.maxAttempts } = options;
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      let error: unknown;
      try {
        return await send(AbortSignal.timeout(this.policy.requestTimeoutMs));
      } catch (caught) {
        error = caught;
      }
      const verdict = classify(error, attempt, this.policy);
      const status = statusOf(error);
      const reason = `${operation} failed${status === undefined ? '' : ` (HTTP ${status})`}: ${messageOf(error)}`;
      if (verdict.kind === 'fatal') throw new GithubApiError(reason, status, false, { cause: error });
      if (attempt >= maxAttempts) {
        throw new GithubApiError(`${reason}; gave up after ${attempt} attempts`, status, true, { cause: error });
      }
      if (waited + verdict.waitMs > this.policy.maxTotalWaitMs) {
        throw new GithubApiError(
          `${reason}; GitHub asks to wait ${Math.ceil(verdict.waitMs / 1000)} s, past the ${this.policy.maxTotalWaitMs / 1000} s limit`,
          status,
          true,
          { cause: error },
        );
      }
      this.logger.warn(
        { component: 'github', operation, status, attempt, waitMs: verdict.waitMs, reason: verdict.kind },
        'GitHub call failed; retrying',
      );
      await this.policy.sleep(verdict.waitMs);
      waited += verdict.waitMs;
      // A rate limit means GitHub did nothing; after anything else the first request may have taken effect.
      if (verdict.kind === 'unavailable' && recover !== undefined) {
        let found: T | undefined;
        try {
          found = await recover();
        } catch (recoverError) {
          // Without the answer, resending could duplicate what the failed request did: stop here.
          throw new GithubApiError(
            `${reason}; could not check whether it took effect: ${messageOf(recoverError)}`,
            status,
            true,
            { cause: recoverError },
          );
        }
        if (found !== undefined) return found;
      }
    }
  }
}

function classify(error: unknown, attempt: number, policy: RetryPolicy): Verdict {
  const status = statusOf(error);
  const headers = headersOf(error);
  const retryAfterMs = parseRetryAfter(headers['retry-after'], policy.now());
  const rateLimited =
    status === 429 ||
    (status === 403 &&
      (headers['x-ratelimit-remaining'] === '0' || retryAfterMs !== undefined || /rate limit/i.test(messageOf(error))));
  if (rateLimited) {
    const reset = Number(headers['x-ratelimit-reset']);
    const untilReset =
      Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - policy.now()) + 1000 : undefined;
    return { kind: 'rate_limited', waitMs: retryAfterMs ?? untilReset ?? SECONDARY_LIMIT_WAIT_MS };
  }
  // No status: the request never got an answer (refused, reset, timed out). Treated like a 5xx.
  if (status === undefined || status >= 500) {
    return { kind: 'unavailable', waitMs: retryAfterMs ?? policy.baseDelayMs * 2 ** (attempt - 1) };
  }
  return { kind: 'fatal' };
}

/** `retry-after` is seconds or an HTTP date. */
function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

function headersOf(error: unknown): Record<string, string | undefined> {
  const headers = (error as { response?: { headers?: Record<string, string | number | undefined> } } | undefined)
    ?.response?.headers;
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    out[name.toLowerCase()] = value === undefined ? undefined : String(value);
  }
  return out;
}
