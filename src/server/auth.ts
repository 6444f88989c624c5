/** @module The X-API-Key check of the webhook (WEBHOOK_API_KEY, WEBHOOK_REQUIRE_AUTH). */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface ApiKeyPolicy {
  /** WEBHOOK_API_KEY; undefined when none is configured. */
  readonly apiKey?: string;
  /** WEBHOOK_REQUIRE_AUTH: a request without the right key is refused. */
  readonly required: boolean;
}

/** Why a request is refused, or undefined when it may go on. */
export type ApiKeyCheck = (given: string | undefined) => string | undefined;

/**
 * Required: the header must carry the key. Configured but not required: no header is fine, but a wrong key is
 * still refused (a caller that sends one expects it to be checked, and a typo should not pass silently). Neither:
 * everything passes. Both sides are hashed first, so the comparison is constant-time and equal-length whatever
 * the client sent: neither the key's content nor its length leaks through timing.
 */
export function apiKeyCheck(policy: ApiKeyPolicy): ApiKeyCheck {
  const { apiKey, required } = policy;
  if (apiKey === undefined) {
    // The configuration check demands a key when auth is required; refuse everything rather than open up.
    return required ? () => 'authentication is required but no WEBHOOK_API_KEY is configured' : () => undefined;
  }
  const expected = digest(apiKey);
  return (given) => {
    if (given === undefined || given === '') {
      // Hash anyway, so a missing header takes as long as a wrong one.
      timingSafeEqual(digest(''), expected);
      return required ? 'missing X-API-Key header' : undefined;
    }
    return timingSafeEqual(digest(given), expected) ? undefined : 'wrong X-API-Key';
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
