/**
 * @module The GitHub issue notifier end to end: the real @octokit/rest client against a local server that speaks
 * the GitHub REST wire format for issues, comments and labels (with scripted rate limits and outages), and a real
 * SQLite store on a temp file, reopened to play a restart. All traffic stays on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Signature } from '../../src/domain/index.js';
import { GithubApiError, GithubIssueNotifier, signatureMarker } from '../../src/notify/github/index.js';
import { createLogger } from '../../src/observability/logger.js';
import type { SignatureStore } from '../../src/ports/index.js';
import { SqliteSignatureStore } from '../../src/store/sqlite/sqlite-signature-store.js';
import { diagnosis, fingerprinted, idOf, T0 } from '../../src/store/testing/events.js';

// ---- a GitHub that lives in this process ----

const OWNER = 'acme';
const REPO = 'shop';
const TOKEN = 'ghp_test_token_0123456789';

interface FakeComment {
  id: number;
  body: string;
}

interface FakeIssue {
  id: number;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason: string | null;
  labels: string[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  comments: FakeComment[];
}

interface ScriptedFailure {
  method: string;
  path: RegExp;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** Perform the request, then answer with the failure: a create whose response was lost. */
  applyFirst: boolean;
  remaining: number;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** GitHub's timestamp format: ISO 8601 to the second. */
function stamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

class FakeGitHub {
  readonly issues = new Map<number, FakeIssue>();
  readonly labels = new Set<string>();
  readonly requests: { method: string; path: string; query: URLSearchParams }[] = [];
  private failures: ScriptedFailure[] = [];
  private nextNumber = 1;
  private nextId = 1000;
  private readonly server = http.createServer((req, res) => void this.serve(req, res));
  baseUrl = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  fail(
    method: string,
    path: RegExp,
    failure: Partial<Pick<ScriptedFailure, 'headers' | 'body' | 'applyFirst'>> & { status: number; times?: number },
  ): void {
    this.failures.push({
      method,
      path,
      status: failure.status,
      headers: failure.headers ?? {},
      body: failure.body ?? { message: 'Server Error' },
      applyFirst: failure.applyFirst ?? false,
      remaining: failure.times ?? 1,
    });
  }

  clearFailures(): void {
    this.failures = [];
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  only(): FakeIssue {
    expect(this.issues.size).toBe(1);
    return [...this.issues.values()][0] as FakeIssue;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams });
    const input = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};

    let answer: Answer;
    if (!/^(token|bearer) /i.test(req.headers.authorization ?? '') || !req.headers.authorization?.endsWith(TOKEN)) {
      answer = { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    } else {
      const failure = this.failures.find((f) => f.remaining > 0 && f.method === method && f.path.test(url.pathname));
      if (failure !== undefined) {
        failure.remaining--;
        if (failure.applyFirst) this.route(method, url, input);
        answer = { status: failure.status, body: failure.body, headers: failure.headers };
      } else {
        answer = this.route(method, url, input);
      }
    }
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-request-id': `REQ:${this.requests.length}`,
      ...answer.headers,
    });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  }

  private route(method: string, url: URL, input: Record<string, unknown>): Answer {
    const prefix = `/repos/${OWNER}/${REPO}`;
    const path = url.pathname;
    const issueMatch = path.match(new RegExp(`^${prefix}/issues/(\\d+)(/comments)?$`));
    const issue = issueMatch ? this.issues.get(Number(issueMatch[1])) : undefined;
    if (method === 'POST' && path === `${prefix}/issues`) return { status: 201, body: this.create(input) };
    if (method === 'GET' && path === `${prefix}/issues`) return { status: 200, body: this.list(url.searchParams) };
    if (method === 'POST' && path === `${prefix}/labels`) {
      const name = String(input.name);
      if (this.labels.has(name)) {
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }],
          },
        };
      }
      this.labels.add(name);
      return { status: 201, body: { id: this.nextId++, name, color: input.color, default: false } };
    }
    if (issueMatch && issue === undefined) return { status: 404, body: { message: 'Not Found' } };
    if (issue !== undefined && issueMatch?.[2] === undefined) {
      if (method === 'GET') return { status: 200, body: this.wire(issue) };
      if (method === 'PATCH') return { status: 200, body: this.wire(this.update(issue, input)) };
    }
    if (issue !== undefined && issueMatch?.[2] !== undefined) {
      if (method === 'POST') {
        const comment = { id: this.nextId++, body: String(input.body) };
        issue.comments.push(comment);
        issue.updated_at = stamp();
        return { status: 201, body: { ...comment, html_url: `${this.htmlUrl(issue)}#issuecomment-${comment.id}` } };
      }
      if (method === 'GET') return { status: 200, body: issue.comments };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  private create(input: Record<string, unknown>): Record<string, unknown> {
    const labels = Array.isArray(input.labels) ? input.labels.map(String) : [];
    for (const label of labels) this.labels.add(label); // as GitHub does for labels it has not seen
    const now = stamp();
    const issue: FakeIssue = {
      id: this.nextId++,
      number: this.nextNumber++,
      title: String(input.title),
      body: String(input.body ?? ''),
      state: 'open',
      state_reason: null,
      labels,
      created_at: now,
      updated_at: now,
      closed_at: null,
      comments: [],
    };
    this.issues.set(issue.number, issue);
    return this.wire(issue);
  }

  private update(issue: FakeIssue, input: Record<string, unknown>): FakeIssue {
    if (typeof input.title === 'string') issue.title = input.title;
    if (typeof input.body === 'string') issue.body = input.body;
    if (input.state === 'open' || input.state === 'closed') {
      if (input.state !== issue.state) issue.closed_at = input.state === 'closed' ? stamp() : null;
      issue.state = input.state;
      issue.state_reason = typeof input.state_reason === 'string' ? input.state_reason : null;
    }
    issue.updated_at = stamp();
    return issue;
  }

  private list(query: URLSearchParams): Record<string, unknown>[] {
    const since = query.get('since');
    const state = query.get('state') ?? 'open';
    const perPage = Number(query.get('per_page') ?? 30);
    const page = Number(query.get('page') ?? 1);
    return [...this.issues.values()]
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => since === null || Date.parse(i.updated_at) >= Date.parse(since))
      .sort((a, b) => (query.get('direction') === 'asc' ? a.number - b.number : b.number - a.number))
      .slice((page - 1) * perPage, page * perPage)
      .map((i) => this.wire(i));
  }

  private htmlUrl(issue: FakeIssue): string {
    return `https://github.example.com/${OWNER}/${REPO}/issues/${issue.number}`;
  }

  /** The fields of GitHub's issue object that clients read. */
  private wire(issue: FakeIssue): Record<string, unknown> {
    return {
      id: issue.id,
      node_id: `I_${issue.id}`,
      url: `${this.baseUrl}/repos/${OWNER}/${REPO}/issues/${issue.number}`,
      html_url: this.htmlUrl(issue),
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      state_reason: issue.state_reason,
      labels: issue.labels.map((name, i) => ({ id: i + 1, name, color: 'b60205', default: false })),
      user: { login: 'rounds-bot', id: 1, type: 'Bot' },
      comments: issue.comments.length,
      created_at: issue.created_at,
      updated_at: issue.updated_at,
      closed_at: issue.closed_at,
    };
  }
}

// ---- fixtures ----

const ISSUES = /^\/repos\/acme\/shop\/issues$/;
const ONE_ISSUE = /^\/repos\/acme\/shop\/issues\/\d+$/;
const COMMENTS = /^\/repos\/acme\/shop\/issues\/\d+\/comments$/;
const SIGNATURE = 'orders-timeout';
const SIGNATURE_ID = idOf(SIGNATURE);

let github: FakeGitHub;
let dir: string;
let dbPath: string;
let store: SqliteSignatureStore;
let sleeps: number[];

beforeEach(async () => {
  github = new FakeGitHub();
  await github.start();
  dir = mkdtempSync(join(tmpdir(), 'rounds-github-'));
  dbPath = join(dir, 'signatures.db');
  store = new SqliteSignatureStore({ path: dbPath });
  await store.open();
  sleeps = [];
});

afterEach(async () => {
  await store.close();
  await github.stop();
  rmSync(dir, { recursive: true, force: true });
});

function notifier(options: { store?: Pick<SignatureStore, 'recordNotification' | 'listNotifications'> } = {}) {
  return new GithubIssueNotifier({
    token: TOKEN,
    repo: `${OWNER}/${REPO}`,
    apiUrl: github.baseUrl,
    labels: ['rounds', 'bug'],
    store: options.store ?? store,
    traceUrl: (traceId) => `https://jaeger.example.com/trace/${traceId}`,
    logger: createLogger({ level: 'silent', format: 'json' }),
    // Waits are recorded, not slept, so rate limits of seconds cost nothing.
    retry: {
      baseDelayMs: 10,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
}

/** Counts `n` new events of a signature through the real ingest path and returns it as stored. */
async function occur(n: number, label = SIGNATURE, at = T0): Promise<Signature> {
  await store.ingest(
    Array.from({ length: n }, (_, i) => fingerprinted({ signature: label, timestamp: at + i * 1000 })),
  );
  const signature = await store.getSignature(idOf(label));
  if (signature === undefined) throw new Error(`signature ${label} was not stored`);
  return signature;
}

async function issueRecord(signatureId = SIGNATURE_ID) {
  return (await store.listNotifications(signatureId)).filter((r) => r.channel === 'github_issue');
}

// ---- behaviour ----

describe('GithubIssueNotifier against a GitHub-speaking server', () => {
  it('opens one labelled issue per signature, with marker, facts and trace links, and records its number', async () => {
    const signature = await occur(3);
    const samples = await store.listSamples(signature.id);
    await notifier().notify({ kind: 'new_signature', signature, samples });

    const issue = github.only();
    expect(issue.title).toBe('[rounds] sqlalchemy.exc.OperationalError: connection to <ip> timed out after <n> ms');
    expect(issue.labels).toEqual(['rounds', 'bug']);
    expect(issue.body.startsWith(signatureMarker(SIGNATURE_ID))).toBe(true);
    expect(issue.body).toContain('- **Occurrences:** 3');
    const traceId = samples[0]?.traceId ?? '';
    expect(traceId).not.toBe('');
    expect(issue.body).toContain(`([open trace](https://jaeger.example.com/trace/${traceId}))`);
    expect(issue.body).toContain('## In-app frames (innermost last)');
    expect(github.labels).toEqual(new Set(['rounds', 'bug']));
    expect((await issueRecord()).map((r) => [r.key, r.externalRef])).toEqual([
      ['issue-pending', undefined],
      ['issue', String(issue.number)],
    ]);
    // The common path makes no lookups: nothing was ever created for this signature before.
    expect(github.count('GET', ISSUES)).toBe(0);
  });

  it('updates the same issue in place on later reports (occurrence count, last seen, diagnosis)', async () => {
    const first = await occur(2);
    const github1 = notifier();
    await github1.notify({ kind: 'new_signature', signature: first });
    const number = github.only().number;

    await occur(5, SIGNATURE, T0 + 3_600_000);
    await store.addDiagnosis(SIGNATURE_ID, diagnosis());
    const later = await store.getSignature(SIGNATURE_ID);
    if (later === undefined) throw new Error('missing');
    await github1.notify({ kind: 'diagnosis', signature: later });

    const issue = github.only();
    expect(issue.number).toBe(number);
    expect(issue.body).toContain('- **Occurrences:** 7');
    expect(issue.body).toContain(`- **Last seen:** ${new Date(later.lastSeen).toISOString()}`);
    expect(issue.body).toContain('The orders pool is exhausted by a leaked session in the retry loop.');
    expect(github.count('POST', ISSUES)).toBe(1);
    expect(github.count('PATCH', ONE_ISSUE)).toBe(1);
  });

  it('keeps exactly one issue per signature across a restart (new notifier, reopened store)', async () => {
    await notifier().notify({ kind: 'new_signature', signature: await occur(1) });
    const number = github.only().number;
    await store.close();

    store = new SqliteSignatureStore({ path: dbPath });
    await store.open();
    const restarted = notifier();
    await restarted.notify({ kind: 'new_signature', signature: await occur(1, SIGNATURE, T0 + 60_000) });
    await restarted.notify({ kind: 'diagnosis', signature: await occur(1, SIGNATURE, T0 + 120_000) });

    expect(github.only().number).toBe(number);
    expect(github.only().body).toContain('- **Occurrences:** 3');
    expect(github.count('POST', ISSUES)).toBe(1);

    // Another signature still gets its own issue.
    await restarted.notify({ kind: 'new_signature', signature: await occur(1, 'payments-declined') });
    expect(github.issues.size).toBe(2);
  });

  it('comments and reopens on a regression, closes with a comment on resolve, and never repeats a comment', async () => {
    const gh = notifier();
    await gh.notify({ kind: 'new_signature', signature: await occur(2) });

    const resolved = await store.setStatus(SIGNATURE_ID, 'resolved');
    await gh.notify({ kind: 'resolved', signature: resolved });
    let issue = github.only();
    expect(issue.state).toBe('closed');
    expect(issue.state_reason).toBe('completed');
    expect(issue.comments.map((c) => c.body)).toEqual([expect.stringContaining('**Resolved** in Rounds')]);

    // A new occurrence of a resolved signature regresses it in the store.
    const regressed = await occur(1, SIGNATURE, T0 + 86_400_000);
    expect(regressed.status).toBe('regressed');
    const samples = await store.listSamples(SIGNATURE_ID);
    await gh.notify({ kind: 'regression', signature: regressed, samples });
    issue = github.only();
    expect(issue.state).toBe('open');
    expect(issue.state_reason).toBe('reopened');
    expect(issue.comments).toHaveLength(2);
    expect(issue.comments[1]?.body).toContain('**Regression:**');
    expect(issue.comments[1]?.body).toContain('- **Occurrences:** 3');
    expect(issue.body).toContain('| Status | regressed |');

    // The same report delivered again (a caller's retry) edits the issue but does not comment twice.
    await gh.notify({ kind: 'regression', signature: regressed, samples });
    expect(github.only().comments).toHaveLength(2);
    expect(github.count('POST', ISSUES)).toBe(1);
  });

  it('does not open an issue just to close it when a signature without one is resolved', async () => {
    await occur(1);
    const resolved = await store.setStatus(SIGNATURE_ID, 'resolved');
    await notifier().notify({ kind: 'resolved', signature: resolved });
    expect(github.issues.size).toBe(0);
    expect(github.requests).toHaveLength(0);
  });

  it('an update refreshes an existing issue in place and never opens one', async () => {
    await notifier().notify({ kind: 'update', signature: await occur(2) });
    expect(github.issues.size).toBe(0);

    await store.addDiagnosis(SIGNATURE_ID, diagnosis());
    await notifier().notify({ kind: 'diagnosis', signature: (await store.getSignature(SIGNATURE_ID))! });
    await notifier().notify({ kind: 'update', signature: await occur(10, SIGNATURE, T0 + 7_200_000) });
    expect(github.only().body).toContain('- **Occurrences:** 12');
    expect(github.count('POST', ISSUES)).toBe(1);
  });

  it('adopts the issue a crash left behind (created, number never stored) instead of opening a second', async () => {
    const signature = await occur(1);
    // The process "dies" between GitHub creating the issue and the store recording its number.
    const crashing: Pick<SignatureStore, 'recordNotification' | 'listNotifications'> = {
      listNotifications: (id) => store.listNotifications(id),
      recordNotification: async (record) => {
        if (record.key === 'issue') throw new Error('killed');
        return store.recordNotification(record);
      },
    };
    await expect(notifier({ store: crashing }).notify({ kind: 'new_signature', signature })).rejects.toThrow('killed');
    const orphan = github.only();
    expect((await issueRecord()).map((r) => r.key)).toEqual(['issue-pending']);

    await store.close();
    store = new SqliteSignatureStore({ path: dbPath });
    await store.open();
    await notifier().notify({ kind: 'diagnosis', signature: await occur(1, SIGNATURE, T0 + 60_000) });

    expect(github.only().number).toBe(orphan.number);
    expect(github.only().body).toContain('- **Occurrences:** 2');
    expect(github.count('POST', ISSUES)).toBe(1);
    expect(github.count('GET', ISSUES)).toBe(1);
    expect((await issueRecord()).find((r) => r.key === 'issue')?.externalRef).toBe(String(orphan.number));

    // Once recorded, the next report goes straight to the issue: no more lookups.
    await notifier().notify({ kind: 'diagnosis', signature: await occur(1, SIGNATURE, T0 + 120_000) });
    expect(github.count('GET', ISSUES)).toBe(1);
  });

  it('does not resend a create that GitHub performed before answering 502', async () => {
    github.fail('POST', ISSUES, { status: 502, applyFirst: true, body: { message: 'Bad Gateway' } });
    await notifier().notify({ kind: 'new_signature', signature: await occur(1) });
    expect(github.issues.size).toBe(1);
    expect(github.count('POST', ISSUES)).toBe(1);
    expect(sleeps).toEqual([10]);
    expect((await issueRecord()).find((r) => r.key === 'issue')?.externalRef).toBe(String(github.only().number));
  });

  it('retries 502s with back-off, checking for the issue before each resend, then succeeds', async () => {
    github.fail('POST', ISSUES, { status: 502, times: 2 });
    github.fail('PATCH', ONE_ISSUE, { status: 503, times: 1 });
    const gh = notifier();
    await gh.notify({ kind: 'new_signature', signature: await occur(1) });
    await gh.notify({ kind: 'diagnosis', signature: await occur(1, SIGNATURE, T0 + 60_000) });
    expect(github.issues.size).toBe(1);
    expect(github.count('POST', ISSUES)).toBe(3);
    expect(github.count('GET', ISSUES)).toBe(2);
    expect(sleeps).toEqual([10, 20, 10]);
    expect(github.only().body).toContain('- **Occurrences:** 2');
  });

  it('waits out a 403 rate limit until x-ratelimit-reset and a 429 for retry-after, then succeeds', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 3;
    github.fail('POST', ISSUES, {
      status: 403,
      headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest' },
    });
    github.fail('POST', COMMENTS, { status: 429, headers: { 'retry-after': '2' }, body: { message: 'slow down' } });
    const gh = notifier();
    await gh.notify({ kind: 'new_signature', signature: await occur(1) });
    await gh.notify({ kind: 'resolved', signature: await store.setStatus(SIGNATURE_ID, 'resolved') });

    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[0]).toBeLessThanOrEqual(5000);
    expect(sleeps[1]).toBe(2000);
    // A rate limit means GitHub did nothing: the create is resent without a lookup.
    expect(github.count('GET', ISSUES)).toBe(0);
    expect(github.count('POST', ISSUES)).toBe(2);
    expect(github.only().state).toBe('closed');
    expect(github.only().comments).toHaveLength(1);
  });

  it('fails fast, for a later retry, when the rate limit resets past the wait cap', async () => {
    github.fail('POST', ISSUES, {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600) },
      body: { message: 'API rate limit exceeded' },
    });
    const error = await notifier()
      .notify({ kind: 'new_signature', signature: await occur(1) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubApiError);
    expect((error as GithubApiError).retryable).toBe(true);
    expect((error as GithubApiError).message).toMatch(/HTTP 403.*past the 60 s limit/);
    expect(sleeps).toEqual([]);
    expect(github.issues.size).toBe(0);
  });

  it('rejects after persistent 502s without creating anything, and a later retry opens exactly one issue', async () => {
    github.fail('POST', ISSUES, { status: 502, times: 1000 });
    const gh = notifier();
    const signature = await occur(1);
    const error = await gh.notify({ kind: 'new_signature', signature }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubApiError);
    expect((error as GithubApiError).retryable).toBe(true);
    expect((error as GithubApiError).message).toContain('gave up after 5 attempts');
    expect(github.count('POST', ISSUES)).toBe(5);
    expect(github.issues.size).toBe(0);

    github.clearFailures();
    await gh.notify({ kind: 'new_signature', signature });
    await notifier().notify({ kind: 'new_signature', signature });
    expect(github.issues.size).toBe(1);
  });

  it('does not retry what cannot succeed later (bad credentials) and says why', async () => {
    const gh = new GithubIssueNotifier({
      token: 'ghp_wrong',
      repo: `${OWNER}/${REPO}`,
      apiUrl: github.baseUrl,
      labels: [],
      store,
      logger: createLogger({ level: 'silent', format: 'json' }),
      retry: { sleep: async (ms) => void sleeps.push(ms) },
    });
    const error = await gh.notify({ kind: 'new_signature', signature: await occur(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubApiError);
    expect((error as GithubApiError).retryable).toBe(false);
    expect((error as GithubApiError).message).toContain('create issue failed (HTTP 401): Bad credentials');
    expect((error as GithubApiError).message).not.toContain('ghp_wrong');
    expect(github.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('treats an unreachable GitHub as retryable and gives up after the attempt limit', async () => {
    const signature = await occur(1);
    await github.stop(); // nothing listens on the port any more: connection refused
    const error = await notifier()
      .notify({ kind: 'new_signature', signature })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubApiError);
    expect((error as GithubApiError).retryable).toBe(true);
    // The create got no answer, and the check for an issue it may have created got none either: it stops there
    // rather than resend blindly.
    expect((error as GithubApiError).message).toMatch(
      /^create issue failed \(HTTP 500\): .*ECONNREFUSED.*could not check whether it took effect: list issues/,
    );
    expect(github.issues.size).toBe(0);
    github = new FakeGitHub();
    await github.start(); // for afterEach
  });

  it('runs concurrent reports of one signature one after another, so they cannot open two issues', async () => {
    const signature = await occur(1);
    const gh = notifier();
    await Promise.all([
      gh.notify({ kind: 'new_signature', signature }),
      gh.notify({ kind: 'diagnosis', signature }),
      gh.notify({ kind: 'diagnosis', signature }),
    ]);
    expect(github.issues.size).toBe(1);
    expect(github.count('PATCH', ONE_ISSUE)).toBe(2);
  });
});
