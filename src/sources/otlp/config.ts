/** @module The OTLP receiver's settings: derived once from the validated environment, defaulted and checked. */
import { readFileSync } from 'node:fs';
import type { EnvConfig } from '../../config/index.js';
import { RoundsError } from '../../domain/index.js';

export type OtlpTransport = 'grpc' | 'http';

export interface OtlpReceiverConfig {
  readonly protocols: readonly OtlpTransport[];
  readonly host: string;
  /** 0 asks the OS for a free port; the receiver reports the bound one. */
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Applies to the wire body and again to the decompressed body (spec v1.11: over it is 413 / RESOURCE_EXHAUSTED). */
  readonly maxRequestBytes: number;
  readonly maxInflightBytes: number;
  readonly maxInflightRequests: number;
  readonly authToken?: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly traceBufferBytes: number;
  /** How long after an error event its trace is assembled from the buffer and stored, so late spans are in it. */
  readonly traceSnapshotSettleMs: number;
  /** How long stop() lets in-flight requests finish before it closes their connections. */
  readonly shutdownTimeoutMs: number;
  /** Whole-request deadline on HTTP: a client trickling bytes cannot hold admission for longer. */
  readonly httpRequestTimeoutMs: number;
  readonly httpHeadersTimeoutMs: number;
  /** Longer than typical client and load-balancer idle timeouts, so the client closes idle sockets first and never reuses one we just closed. */
  readonly httpKeepAliveTimeoutMs: number;
}

/** The settings with no environment variable: fixed defaults, overridable in code (tests). */
export type OtlpTimeouts = Pick<
  OtlpReceiverConfig,
  'shutdownTimeoutMs' | 'httpRequestTimeoutMs' | 'httpHeadersTimeoutMs' | 'httpKeepAliveTimeoutMs'
>;

export const OTLP_DEFAULTS: OtlpTimeouts = Object.freeze({
  shutdownTimeoutMs: 10_000,
  httpRequestTimeoutMs: 60_000,
  httpHeadersTimeoutMs: 30_000,
  httpKeepAliveTimeoutMs: 65_000,
});

type OtlpEnv = Pick<
  EnvConfig,
  | 'OTLP_PROTOCOLS'
  | 'OTLP_BIND_HOST'
  | 'OTLP_GRPC_PORT'
  | 'OTLP_HTTP_PORT'
  | 'OTLP_MAX_REQUEST_BYTES'
  | 'OTLP_MAX_INFLIGHT_BYTES'
  | 'OTLP_MAX_INFLIGHT_REQUESTS'
  | 'OTLP_AUTH_TOKEN'
  | 'OTLP_TLS_CERT_FILE'
  | 'OTLP_TLS_KEY_FILE'
  | 'OTLP_TRACE_BUFFER_BYTES'
  | 'OTLP_TRACE_SNAPSHOT_SETTLE_MS'
>;

/** Every problem with the settings, each named by its variable; empty when they can work. */
export function validateOtlpConfig(env: OtlpEnv): string[] {
  const problems: string[] = [];
  if (env.OTLP_PROTOCOLS.length === 0) problems.push('OTLP_PROTOCOLS: must name at least one of grpc, http');
  if (env.OTLP_BIND_HOST.trim() === '') problems.push('OTLP_BIND_HOST: must not be empty');
  if ((env.OTLP_TLS_CERT_FILE === undefined) !== (env.OTLP_TLS_KEY_FILE === undefined)) {
    problems.push('OTLP_TLS_CERT_FILE, OTLP_TLS_KEY_FILE: set both to serve TLS, or neither');
  }
  const bothPorts = env.OTLP_PROTOCOLS.includes('grpc') && env.OTLP_PROTOCOLS.includes('http');
  if (bothPorts && env.OTLP_GRPC_PORT !== 0 && env.OTLP_GRPC_PORT === env.OTLP_HTTP_PORT) {
    problems.push(`OTLP_GRPC_PORT, OTLP_HTTP_PORT: both are ${env.OTLP_GRPC_PORT}; gRPC and HTTP need separate ports`);
  }
  return problems;
}

/**
 * The receiver's settings, or a RoundsError listing every problem. OTLP_MAX_INFLIGHT_BYTES may be below
 * OTLP_MAX_REQUEST_BYTES (the defaults are 32 and 64 MiB): admission lets one request through on its own
 * whatever its size, so a big request is slow, never refused forever.
 */
export function otlpReceiverConfig(env: OtlpEnv, overrides: Partial<OtlpTimeouts> = {}): OtlpReceiverConfig {
  const problems = validateOtlpConfig(env);
  if (problems.length > 0) {
    throw new RoundsError('ROUNDS_INVALID_CONFIG', `invalid OTLP receiver settings:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze({
    protocols: Object.freeze([...env.OTLP_PROTOCOLS]),
    host: env.OTLP_BIND_HOST.trim(),
    grpcPort: env.OTLP_GRPC_PORT,
    httpPort: env.OTLP_HTTP_PORT,
    maxRequestBytes: env.OTLP_MAX_REQUEST_BYTES,
    maxInflightBytes: env.OTLP_MAX_INFLIGHT_BYTES,
    maxInflightRequests: env.OTLP_MAX_INFLIGHT_REQUESTS,
    ...(env.OTLP_AUTH_TOKEN === undefined ? {} : { authToken: env.OTLP_AUTH_TOKEN }),
    ...(env.OTLP_TLS_CERT_FILE !== undefined && env.OTLP_TLS_KEY_FILE !== undefined
      ? { tls: Object.freeze({ certFile: env.OTLP_TLS_CERT_FILE, keyFile: env.OTLP_TLS_KEY_FILE }) }
      : {}),
    traceBufferBytes: env.OTLP_TRACE_BUFFER_BYTES,
    traceSnapshotSettleMs: env.OTLP_TRACE_SNAPSHOT_SETTLE_MS,
    ...OTLP_DEFAULTS,
    ...overrides,
  });
}

/** The PEM files behind `config.tls`, read when a transport starts; a failure names the variable and the file. */
export function readTlsFiles(tls: NonNullable<OtlpReceiverConfig['tls']>): { cert: Buffer; key: Buffer } {
  const read = (variable: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new RoundsError('ROUNDS_INVALID_CONFIG', `${variable}: cannot read ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  return { cert: read('OTLP_TLS_CERT_FILE', tls.certFile), key: read('OTLP_TLS_KEY_FILE', tls.keyFile) };
}
