import { describe, expect, it } from 'vitest';
import type { Signature } from '../../domain/index.js';
import { hasSignatureMarker, renderBody, renderTitle, signatureMarker } from './render.js';

const signature: Signature = {
  id: 'sig_0123456789abcdef',
  fingerprint: '0123456789abcdef'.repeat(4),
  configId: 'fp:2026-11-29',
  strategy: 'exception-in-app',
  errorType: 'KeyError',
  service: 'orders',
  services: ['orders'],
  messageTemplate: 'user <int> not found',
  language: 'python',
  frames: [],
  firstSeen: Date.UTC(2026, 10, 29, 5, 0, 0),
  lastSeen: Date.UTC(2026, 10, 29, 6, 0, 0),
  occurrenceCount: 3,
  status: 'new',
  tags: [],
  versions: [],
  environments: [],
};

describe('GitHub issue rendering', () => {
  it('titles the issue `[rounds] <ErrorType>: <messageTemplate>` on one line', () => {
    expect(renderTitle({ ...signature, messageTemplate: 'user <int>\nnot found' })).toBe(
      '[rounds] KeyError: user <int> not found',
    );
  });

  it('caps the title at 256 characters without splitting a character', () => {
    const title = renderTitle({ ...signature, messageTemplate: '😀'.repeat(400) });
    expect(Array.from(title)).toHaveLength(256);
    expect(title.endsWith('😀…')).toBe(true);
  });

  it('starts the body with the marker, and only a marker at the very top counts', () => {
    const body = renderBody({ signature, updatedAt: signature.lastSeen });
    expect(body.startsWith(`${signatureMarker(signature.id)}\n`)).toBe(true);
    expect(hasSignatureMarker(body, signature.id)).toBe(true);
    expect(hasSignatureMarker(body, 'sig_ffffffffffffffff')).toBe(false);
    // Telemetry quoting another signature's marker cannot make this issue look like that signature's.
    const forged = renderBody({
      signature: { ...signature, messageTemplate: signatureMarker('sig_ffffffffffffffff') },
      updatedAt: signature.lastSeen,
    });
    expect(forged).toContain(signatureMarker('sig_ffffffffffffffff'));
    expect(hasSignatureMarker(forged, 'sig_ffffffffffffffff')).toBe(false);
  });

  it('stays under GitHub’s 65536-character body limit whatever the signature holds', () => {
    const huge: Signature = {
      ...signature,
      messageTemplate: 'x'.repeat(70_000),
      versions: Array.from({ length: 1000 }, (_, i) => `1.0.${i}-${'y'.repeat(200)}`),
      frames: Array.from({ length: 500 }, (_, i) => ({
        function: `f${i}`,
        file: `/${'z'.repeat(300)}.py`,
        inApp: true,
      })),
    };
    const body = renderBody({ signature: huge, updatedAt: 0 });
    expect(body.length).toBeLessThan(65_536);
    // Long values are clipped, not the report: every section is still there.
    expect(body).toContain('## In-app frames (innermost last)');
    expect(body).toContain('## Diagnosis');
  });
});

describe('GitHub issues are redacted', () => {
  // Assembled at run time, so the source holds no whole token for secret scanners to flag.
  const token = ['gh', 'p_', 'k3Xw9QzL', 'm2Vb7RtY', 'p4Nc8HsD', 'f6Jg1Ae5', 'uT0o'].join('');
  const leaky: Signature = {
    ...signature,
    messageTemplate: `HttpError: Bad credentials for token ${token}`,
    environments: [`prod-${token}`],
  };

  it('keeps a GitHub token in the error message out of the title and the body', () => {
    const title = renderTitle(leaky);
    const body = renderBody({ signature: leaky, updatedAt: leaky.lastSeen });
    expect(title).toBe('[rounds] KeyError: HttpError: Bad credentials for token [REDACTED:github_token]');
    expect(body).not.toContain(token);
    expect(body).toContain('`HttpError: Bad credentials for token [REDACTED:github_token]`');
    // The marker that ties the issue to its signature is untouched.
    expect(hasSignatureMarker(body, leaky.id)).toBe(true);
  });

  it('keeps it out of a regression comment', async () => {
    const { renderRegressionComment } = await import('./render.js');
    const comment = renderRegressionComment(leaky, undefined);
    expect(comment).not.toContain(token);
    expect(comment).toContain('[REDACTED:github_token]');
  });
});
