import { describe, expect, it } from 'vitest';
import { envSchema } from '../../config/index.js';
import { otlpReceiverConfig, readTlsFiles, validateOtlpConfig } from './config.js';

const env = (vars: Record<string, string> = {}) => envSchema.parse(vars);

describe('otlpReceiverConfig', () => {
  it('derives the settings from the defaults', () => {
    const config = otlpReceiverConfig(env());
    expect(config).toMatchObject({
      protocols: ['grpc', 'http'],
      host: '127.0.0.1',
      grpcPort: 4317,
      httpPort: 4318,
      maxRequestBytes: 64 * 1024 * 1024,
      maxInflightRequests: 64,
      shutdownTimeoutMs: 10_000,
    });
    expect(config.tls).toBeUndefined();
    expect(config.authToken).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('carries TLS files and the token', () => {
    const config = otlpReceiverConfig(
      env({ OTLP_TLS_CERT_FILE: '/c.pem', OTLP_TLS_KEY_FILE: '/k.pem', OTLP_AUTH_TOKEN: 't', OTLP_PROTOCOLS: 'http' }),
    );
    expect(config.tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' });
    expect(config.authToken).toBe('t');
    expect(config.protocols).toEqual(['http']);
  });

  it('reports every problem at once, each named by its variable', () => {
    const problems = validateOtlpConfig(
      env({ OTLP_TLS_CERT_FILE: '/c.pem', OTLP_GRPC_PORT: '5000', OTLP_HTTP_PORT: '5000' }),
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^OTLP_TLS_CERT_FILE, OTLP_TLS_KEY_FILE:/);
    expect(problems[1]).toMatch(/^OTLP_GRPC_PORT, OTLP_HTTP_PORT:/);
    expect(() => otlpReceiverConfig(env({ OTLP_TLS_KEY_FILE: '/k.pem' }))).toThrow(/OTLP_TLS_CERT_FILE/);
  });

  it('allows both ports to be 0 (any free port)', () => {
    expect(validateOtlpConfig(env({ OTLP_GRPC_PORT: '0', OTLP_HTTP_PORT: '0' }))).toEqual([]);
  });

  it('names the variable when a TLS file cannot be read', () => {
    expect(() => readTlsFiles({ certFile: '/nonexistent/c.pem', keyFile: '/nonexistent/k.pem' })).toThrow(
      /^OTLP_TLS_CERT_FILE: cannot read \/nonexistent\/c\.pem/,
    );
  });
});
