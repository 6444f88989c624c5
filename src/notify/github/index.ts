/** @module The GitHub issue notifier's public surface. */
export { DEFAULT_RETRY_POLICY, GithubApiError, type RetryPolicy } from './client.js';
export { GITHUB_CHANNEL, GithubIssueNotifier, type GithubIssueNotifierOptions } from './notifier.js';
export { renderBody, renderTitle, signatureMarker } from './render.js';
