import { describe, expect, it } from 'vitest';
import { checkExtraPatterns, parseExtraPatterns, Redactor } from './index.js';

describe('parseExtraPatterns', () => {
  it('reads one pattern per line, trimmed, skipping blank lines', () => {
    expect(parseExtraPatterns('  ACME-[0-9]{8}  \r\n\n(?i)internal_key=\\S+\n   \n')).toEqual([
      'ACME-[0-9]{8}',
      '(?i)internal_key=\\S+',
    ]);
  });

  it('keeps commas, brackets and backslashes inside a pattern as they are', () => {
    expect(parseExtraPatterns('tok_[a-z]{4,8}\\b\n["\']x,y["\']')).toEqual(['tok_[a-z]{4,8}\\b', '["\']x,y["\']']);
  });

  it('reads an empty or blank value as no patterns', () => {
    expect(parseExtraPatterns('')).toEqual([]);
    expect(parseExtraPatterns(' \n\t\n')).toEqual([]);
  });
});

describe('extra patterns', () => {
  it('redacts what they match as custom_<n>, numbered from 1 in the given order', () => {
    const redactor = new Redactor({ extraPatterns: ['ACME-[0-9]{8}', 'emp#\\d{5}'] });
    expect(redactor.redact('card ACME-12345678 for emp#00042')).toEqual({
      text: 'card [REDACTED:custom_1] for [REDACTED:custom_2]',
      findings: [
        { rule: 'custom_1', count: 1 },
        { rule: 'custom_2', count: 1 },
      ],
    });
  });

  it('replaces only the `secret` group when the pattern has one', () => {
    const redactor = new Redactor({ extraPatterns: ['tenant_pin=(?<secret>\\d{4,8})'] });
    expect(redactor.redact('tenant_pin=482913 rejected').text).toBe('tenant_pin=[REDACTED:custom_1] rejected');
  });

  it('is case-insensitive after a leading (?i), case-sensitive otherwise', () => {
    expect(new Redactor({ extraPatterns: ['(?i)acme-[0-9]{4}'] }).redact('Acme-1234').text).toBe('[REDACTED:custom_1]');
    expect(new Redactor({ extraPatterns: ['acme-[0-9]{4}'] }).redact('Acme-1234').text).toBe('Acme-1234');
  });

  it('run before the built-in rules and never touch their markers', () => {
    const redactor = new Redactor({ extraPatterns: ['[A-Za-z_:]{12,}'] });
    const token = ['gh', 'p_', 'x'.repeat(20), 'Y1'.repeat(8)].join('');
    // The custom pattern sees the raw text first; the built-in marker written afterwards stays intact.
    expect(redactor.redact(`a ${token}`).text).toMatch(/^a \[REDACTED:(custom_1|github_token)\]/);
    expect(redactor.redact(`see ${token}`).text).not.toContain(token);
    expect(redactor.ruleNames.slice(0, 2)).toEqual(['custom_1', 'private_key']);
  });

  it('rejects an invalid pattern at construction with an error naming it', () => {
    expect(() => new Redactor({ extraPatterns: ['ok-[0-9]+', 'broken(['] })).toThrow(
      /^extra redaction pattern 2 "broken\(\[" is not a valid regular expression: Unterminated character class$/,
    );
    try {
      new Redactor({ extraPatterns: ['(unclosed'] });
      expect.unreachable();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ROUNDS_INVALID_CONFIG');
    }
  });

  it('rejects patterns that match the empty string or are empty', () => {
    expect(() => new Redactor({ extraPatterns: ['x*'] })).toThrow(/pattern 1 "x\*" matches the empty string/);
    expect(() => new Redactor({ extraPatterns: ['(?i)'] })).toThrow(/pattern 1 "\(\?i\)" is empty/);
  });

  it('lists every problem at once, so configuration can report them together', () => {
    expect(checkExtraPatterns(['fine', '(', 'a?', '['])).toEqual([
      expect.stringMatching(/^extra redaction pattern 2 "\(" is not a valid regular expression: /),
      'extra redaction pattern 3 "a?" matches the empty string',
      expect.stringMatching(/^extra redaction pattern 4 "\[" is not a valid regular expression: /),
    ]);
    expect(checkExtraPatterns(['fine', 'also-fine'])).toEqual([]);
  });

  it('clips a long pattern in the error', () => {
    const [problem] = checkExtraPatterns([`(${'a'.repeat(500)}`]);
    expect(problem).toContain('…');
    expect(problem!.length).toBeLessThan(400);
  });
});
