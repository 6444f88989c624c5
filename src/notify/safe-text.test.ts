import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../redaction/index.js';
import { renderSafeText, setSafeTextRedactor } from './safe-text.js';

// Assembled at run time, so the source holds no whole token for secret scanners to flag.
const TOKEN = ['gh', 'p_', 'k3Xw9QzL', 'm2Vb7RtY', 'p4Nc8HsD', 'f6Jg1Ae5', 'uT0o'].join('');
const MARKER = '[REDACTED:github_token]';

let restore: Redactor | undefined;
afterEach(() => {
  if (restore !== undefined) setSafeTextRedactor(restore);
  restore = undefined;
});

describe('renderSafeText redacts before it renders', () => {
  it.each(['code', 'cell', 'plain'] as const)('removes a token in %s context and says what was removed', (context) => {
    const out = renderSafeText(`Bad credentials: ${TOKEN}`, context);
    expect(out).not.toContain(TOKEN);
    expect(out).toContain(MARKER);
  });

  it('removes a token in prose, where the marker itself is escaped like any other text', () => {
    const out = renderSafeText(`The token ${TOKEN} was revoked.`, 'prose');
    expect(out).not.toContain(TOKEN);
    expect(out).toContain('\\[REDACTED:github\\_token\\]');
  });

  it('redacts a private key spread over lines before the lines are joined', () => {
    const key = [
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAr9',
      'Zq1WlKx0Vr',
      '-----END RSA PRIVATE KEY-----',
    ];
    const out = renderSafeText(`cannot load ${key.join('\n')}`, 'code');
    expect(out).toBe('`cannot load [REDACTED:private_key]`');
  });

  it('leaves ordinary telemetry as it was', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(renderSafeText(traceId, 'code')).toBe(`\`${traceId}\``);
    expect(renderSafeText('sig_0123456789abcdef', 'cell')).toBe('`sig_0123456789abcdef`');
  });

  it('uses the redactor set at startup, with its extra patterns, until another is set', () => {
    restore = setSafeTextRedactor(new Redactor({ extraPatterns: ['ACME-\\d{6}'] }));
    expect(renderSafeText(`card ACME-123456 and ${TOKEN}`, 'plain')).toBe(`card [REDACTED:custom_1] and ${MARKER}`);
    setSafeTextRedactor(restore);
    expect(renderSafeText('card ACME-123456', 'plain')).toBe('card ACME-123456');
  });
});
