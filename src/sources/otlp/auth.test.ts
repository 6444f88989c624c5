import { describe, expect, it } from 'vitest';
import { bearerAuthorizer } from './auth.js';

describe('bearerAuthorizer', () => {
  it('lets everything through when no token is configured', () => {
    const authorize = bearerAuthorizer(undefined);
    expect(authorize(undefined)).toBe(true);
    expect(authorize('Bearer whatever')).toBe(true);
  });

  it('accepts exactly the configured bearer token, scheme case-insensitive', () => {
    const authorize = bearerAuthorizer('s3cret-token');
    expect(authorize('Bearer s3cret-token')).toBe(true);
    expect(authorize('bearer s3cret-token')).toBe(true);
    expect(authorize(' BEARER   s3cret-token ')).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['wrong token', 'Bearer s3cret-tokeN'],
    ['prefix of the token', 'Bearer s3cret'],
    ['longer token', 'Bearer s3cret-token-and-more'],
    ['no scheme', 's3cret-token'],
    ['basic scheme', 'Basic s3cret-token'],
    ['empty bearer', 'Bearer '],
  ])('refuses a %s header', (_name, header) => {
    expect(bearerAuthorizer('s3cret-token')(header)).toBe(false);
  });
});
