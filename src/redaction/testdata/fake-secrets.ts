/**
 * @module Realistic-looking secrets for the redaction tests, built at run time. The source never holds a whole
 * token, so secret scanners (and push protection) have nothing to flag, and every value is deterministic.
 */

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const BASE64 = `${BASE62}+/`;
export const BASE64URL = `${BASE62}-_`;

/** `prefix` then `length` characters of `alphabet`, the same for the same arguments. */
export function fake(prefix: string, length: number, alphabet = BASE62, seed = prefix): string {
  // FNV-1a of the seed, then xorshift32: tiny, deterministic, and good enough to look random.
  let state = 2166136261;
  for (const char of `${seed}:${length}`) state = Math.imul(state ^ char.charCodeAt(0), 16777619) >>> 0;
  let body = '';
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    body += alphabet[state % alphabet.length];
  }
  return prefix + body;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A signed-looking JWT: real base64url JSON header and payload, a fake signature. */
export function fakeJwt(payload: Record<string, unknown>, seed = 'jwt'): string {
  return `${base64url({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${base64url(payload)}.${fake('', 43, BASE64URL, seed)}`;
}

/** A PEM block of `kind` (e.g. `RSA PRIVATE KEY`) with `lines` base64 lines of 64 characters. */
export function fakePem(kind: string, lines = 4, newline = '\n'): { block: string; body: string[] } {
  const body = Array.from({ length: lines }, (_, i) => fake('', 64, BASE64, `${kind}${i}`));
  return { block: [`-----BEGIN ${kind}-----`, ...body, `-----END ${kind}-----`].join(newline), body };
}
