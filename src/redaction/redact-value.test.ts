import { describe, expect, it } from 'vitest';
import { Redactor } from './index.js';

const redactor = new Redactor();
const token = ['gh', 'o_', 'Q7'.repeat(18)].join('');

describe('Redactor.redactValue', () => {
  it('redacts every string of a nested value and keeps its shape', () => {
    const input = {
      message: `auth failed for ${token}`,
      attempts: 3,
      ok: false,
      missing: null,
      samples: [{ user: 'jane@example.com', tags: ['a', `url postgres://app:pw1@db/x`] }],
    };
    const { value, findings } = redactor.redactValue(input);
    expect(value).toEqual({
      message: 'auth failed for [REDACTED:github_token]',
      attempts: 3,
      ok: false,
      missing: null,
      samples: [{ user: '[REDACTED:email]', tags: ['a', 'url postgres://app:[REDACTED:url_password]@db/x'] }],
    });
    expect(findings).toEqual([
      { rule: 'github_token', count: 1 },
      { rule: 'email', count: 1 },
      { rule: 'url_password', count: 1 },
    ]);
    // The input is not modified.
    expect(input.message).toContain(token);
  });

  it('replaces whole string values under keys that name a secret', () => {
    const { value, findings } = redactor.redactValue({
      password: 'hunter2',
      apiKey: 'plainwords',
      'db.password': 'x',
      headers: { Authorization: 'opaque', 'X-Api-Key': 'k', Cookie: 'sid=abc' },
      ACCESS_TOKEN: 'zzz',
    });
    expect(value).toEqual({
      password: '[REDACTED:secret_field]',
      apiKey: '[REDACTED:secret_field]',
      'db.password': '[REDACTED:secret_field]',
      headers: {
        Authorization: '[REDACTED:secret_field]',
        'X-Api-Key': '[REDACTED:secret_field]',
        Cookie: '[REDACTED:secret_field]',
      },
      ACCESS_TOKEN: '[REDACTED:secret_field]',
    });
    expect(findings).toEqual([{ rule: 'secret_field', count: 7 }]);
  });

  it('keeps counts, flags, placeholders and look-alike keys', () => {
    const input = {
      max_tokens: 4096,
      token_count: 3,
      tokens: ['a', 'b'],
      password_reset_required: true,
      passwordHash: 'bcrypt',
      token_type: 'bearer',
      secretName: 'db-creds',
      password: '?',
      token: '',
      secret: '{{ .Values.secret }}',
      apiKey: 42,
    };
    expect(redactor.redactValue(input)).toEqual({ value: input, findings: [] });
  });

  it('redacts keys too, and keeps two keys that redact alike apart', () => {
    const { value } = redactor.redactValue({ 'a@example.com': 1, 'b@example.com': 2, plain: 3 });
    expect(value).toEqual({ '[REDACTED:email]': 1, '[REDACTED:email] #2': 2, plain: 3 });
  });

  it('handles top-level strings and arrays, and leaves non-plain objects alone', () => {
    expect(redactor.redactValue(`x ${token}`).value).toBe('x [REDACTED:github_token]');
    expect(redactor.redactValue([token, 1]).value).toEqual(['[REDACTED:github_token]', 1]);
    const when = new Date(0);
    expect(redactor.redactValue({ when }).value.when).toBe(when);
  });

  it('keeps a `__proto__` key as data', () => {
    const input = JSON.parse('{"__proto__": {"polluted": "yes"}}') as Record<string, unknown>;
    const { value } = redactor.redactValue(input);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a cyclic value instead of sending part of it', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => redactor.redactValue(cyclic)).toThrow(/cycle/);
    // A shared (not cyclic) child is fine.
    const shared = { s: 'x' };
    expect(redactor.redactValue({ one: shared, two: shared }).value).toEqual({ one: shared, two: shared });
  });
});
