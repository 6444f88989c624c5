import { describe, expect, it } from 'vitest';
import { BUILT_IN_RULE_NAMES, Redactor, redactionMarker } from './index.js';

const redactor = new Redactor();
const token = (n: number) => ['gh', 'p_', `${n}`.repeat(4), 'Ab'.repeat(16)].join('');

describe('Redactor', () => {
  it('counts each rule once per secret, in the order the rules ran, without the secrets', () => {
    const result = redactor.redact(`${token(1)} then ${token(2)}; mail ops@example.com; ${token(3)}`);
    expect(result).toEqual({
      text: '[REDACTED:github_token] then [REDACTED:github_token]; mail [REDACTED:email]; [REDACTED:github_token]',
      findings: [
        { rule: 'github_token', count: 3 },
        { rule: 'email', count: 1 },
      ],
    });
  });

  it('returns the very same text, with no findings, when there is nothing to remove', () => {
    const text = 'KeyError: user 42 not found in orders.service.place_order';
    const result = redactor.redact(text);
    expect(result.text).toBe(text);
    expect(result.findings).toEqual([]);
    expect(redactor.redact('')).toEqual({ text: '', findings: [] });
  });

  it('keeps the context around a secret when the rule says where the secret is', () => {
    expect(redactor.redact('amqp://guest:s3cret@mq:5672/').text).toBe('amqp://guest:[REDACTED:url_password]@mq:5672/');
    expect(redactor.redact('Authorization: Basic dXNlcjpwYXNzd29yZA==').text).toBe(
      'Authorization: Basic [REDACTED:authorization_header]',
    );
  });

  it('names every built-in rule in its markers, and runs them in a fixed order', () => {
    expect(redactor.ruleNames).toEqual(BUILT_IN_RULE_NAMES);
    expect(BUILT_IN_RULE_NAMES).toEqual([
      'private_key',
      'jwt',
      'github_token',
      'slack_webhook',
      'slack_token',
      'stripe_key',
      'anthropic_key',
      'openai_key',
      'aws_access_key_id',
      'aws_secret_access_key',
      'url_password',
      'authorization_header',
      'bearer_token',
      'connection_string_password',
      'secret_assignment',
      'email',
    ]);
    expect(redactionMarker('jwt')).toBe('[REDACTED:jwt]');
  });

  it('is safe to share: one call leaves no state behind for the next', () => {
    const text = `a ${token(1)} b`;
    expect(redactor.redact(text)).toEqual(redactor.redact(text));
  });
});
