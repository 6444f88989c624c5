import { describe, expect, it } from 'vitest';
import { Redactor } from './index.js';

const LENGTH = 100_000;
/** Generous: these run in tens of milliseconds; catastrophic backtracking takes minutes or never ends. */
const LIMIT_MS = 2_000;

const repeat = (unit: string) => unit.repeat(Math.ceil(LENGTH / unit.length)).slice(0, LENGTH);

/** Each aims at one rule's weak spot: a prefix that starts a match that then fails, again and again. */
const INPUTS: Record<string, string> = {
  'one long word': 'a'.repeat(LENGTH),
  'dotted words (email local part and domain)': repeat('a.'),
  'at signs': repeat('a@'),
  'a domain that never ends in a TLD': `a@${repeat('a1.')}`,
  'key names without values': repeat('password='),
  'opened quotes never closed': repeat('password="'),
  'escaped quotes (JSON in a string)': repeat('"secret":"\\'),
  'colons after key names': repeat('token: '),
  'schemes without an @': repeat('https://a:'),
  'an authority full of @': `https://a:${repeat('b@')}`,
  'header names without values': repeat('Authorization: '),
  'bearer prefixes': repeat('Bearer '),
  'JWT-looking parts': repeat('eyJaaaaaaaaaa.'),
  'PEM headers without an END': repeat('-----BEGIN RSA PRIVATE KEY-----'),
  'PEM-ish words': repeat('-----BEGIN A B C '),
  'sk- prefixes': repeat('sk-'),
  'sk- then hyphens': `sk-${repeat('a-')}`,
  'GitHub prefixes': repeat('ghp_'),
  'connection strings without an end': `;Password=${repeat('a ')}`,
  'AWS secret key names': repeat('aws_secret_access_key='),
  hex: repeat('0123456789abcdef'),
  base64: repeat('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo='),
  backslashes: repeat('\\'),
  whitespace: ' '.repeat(LENGTH),
};

describe('redaction on adversarial input', () => {
  const redactor = new Redactor();

  it.each(Object.entries(INPUTS))('finishes quickly on 100k characters of %s', (_name, input) => {
    const started = performance.now();
    const { text } = redactor.redact(input);
    expect(performance.now() - started).toBeLessThan(LIMIT_MS);
    expect(text.length).toBeGreaterThan(0);
  });

  it('finishes quickly on all of them at once (1.4M characters of mixed text)', () => {
    const started = performance.now();
    redactor.redact(Object.values(INPUTS).join('\n'));
    expect(performance.now() - started).toBeLessThan(LIMIT_MS * 5);
  });
});
