import { describe, expect, it } from 'vitest';
import { apiKeyCheck } from './auth.js';

describe('apiKeyCheck', () => {
  it('required: only the configured key passes', () => {
    const check = apiKeyCheck({ apiKey: 'k-1', required: true });
    expect(check('k-1')).toBeUndefined();
    expect(check(undefined)).toBe('missing X-API-Key header');
    expect(check('')).toBe('missing X-API-Key header');
    expect(check('k-2')).toBe('wrong X-API-Key');
    expect(check('k-1 ')).toBe('wrong X-API-Key');
  });

  it('configured but not required: no key passes, a wrong one does not', () => {
    const check = apiKeyCheck({ apiKey: 'k-1', required: false });
    expect(check(undefined)).toBeUndefined();
    expect(check('k-1')).toBeUndefined();
    expect(check('nope')).toBe('wrong X-API-Key');
  });

  it('no key: open, unless auth is required (then closed rather than open)', () => {
    expect(apiKeyCheck({ required: false })('anything')).toBeUndefined();
    expect(apiKeyCheck({ required: true })('anything')).toContain('no WEBHOOK_API_KEY');
  });
});
