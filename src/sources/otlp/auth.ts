/** @module Optional bearer-token check shared by both transports (`authorization: Bearer <token>`). */
import { createHash, timingSafeEqual } from 'node:crypto';

export type Authorizer = (authorization: string | undefined) => boolean;

const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

/**
 * A check against `token`, or one that lets everything through when no token is configured. Both sides are
 * hashed first so the comparison is constant-time and equal-length whatever the client sent: neither the
 * token's content nor its length leaks through timing.
 */
export function bearerAuthorizer(token: string | undefined): Authorizer {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const match = authorization === undefined ? null : BEARER.exec(authorization);
    // Hash something even when the header is missing or malformed, so those answers take the same time.
    const given = digest(match?.[1] ?? '');
    return timingSafeEqual(given, expected) && match !== null;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
