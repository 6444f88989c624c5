/**
 * @module OTLP/gRPC on `@grpc/grpc-js`: TraceService/Export and LogsService/Export, MetricsService answering UNIMPLEMENTED.
 *
 * The service definitions are built by hand with an identity deserializer, so the raw request Buffer reaches
 * the lazy decoder untouched (no proto-loader, no full decode; OTLP-NOTES §4). grpc-js inflates gzip/deflate
 * itself and enforces `grpc.max_receive_message_length` on the inflated size too (server-interceptors.js
 * `decompressMessage`), answering RESOURCE_EXHAUSTED — the spec's answer for an over-limit request.
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerErrorResponse,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { Admission } from './admission.js';
import type { Authorizer } from './auth.js';
import { type OtlpReceiverConfig, readTlsFiles } from './config.js';
import type { OtlpEncoding, OtlpSignal } from './decoded.js';
import { OtlpRefusal, OUTCOMES, retryDelaySeconds, SIGNALS_TEXT, toRefusal } from './status.js';

export interface GrpcServerDeps {
  config: OtlpReceiverConfig;
  admission: Admission;
  authorize: Authorizer;
  exportBody(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer): Promise<void>;
  responseBody(signal: OtlpSignal, encoding: OtlpEncoding): Buffer;
  statusBody(encoding: OtlpEncoding, status: { code: number; message: string; retryDelaySeconds?: number }): Buffer;
  onRefusal(refusal: OtlpRefusal, signal: OtlpSignal | undefined): void;
}

const identity = (buffer: Buffer): Buffer => buffer;

function exportService(path: string): ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

export const GRPC_SERVICES = {
  traces: exportService('/opentelemetry.proto.collector.trace.v1.TraceService/Export'),
  logs: exportService('/opentelemetry.proto.collector.logs.v1.LogsService/Export'),
  metrics: exportService('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'),
} as const;

type UnaryHandler = (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void;

export class OtlpGrpcServer {
  private readonly server: Server;
  private bound = false;

  constructor(private readonly deps: GrpcServerDeps) {
    this.server = new Server({
      // grpc-js defaults to 4 MiB; the spec recommends 64 MiB and OTLP_MAX_REQUEST_BYTES says what we accept.
      'grpc.max_receive_message_length': deps.config.maxRequestBytes,
    });
    this.server.addService(GRPC_SERVICES.traces, { Export: this.exportHandler('traces') });
    this.server.addService(GRPC_SERVICES.logs, { Export: this.exportHandler('logs') });
    this.server.addService(GRPC_SERVICES.metrics, { Export: this.metricsHandler() });
  }

  /** Resolves with the bound port; rejects naming host:port when the address is taken or not ours. */
  listen(host: string, port: number): Promise<number> {
    const { tls } = this.deps.config;
    let credentials: ServerCredentials;
    try {
      const files = tls === undefined ? undefined : readTlsFiles(tls);
      credentials = files
        ? ServerCredentials.createSsl(null, [{ cert_chain: files.cert, private_key: files.key }], false)
        : ServerCredentials.createInsecure();
    } catch (error) {
      return Promise.reject(error);
    }
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (error, boundPort) => {
        if (error) {
          reject(new Error(`otlp grpc could not listen on ${host}:${port}: ${error.message}`, { cause: error }));
          return;
        }
        this.bound = true;
        resolve(boundPort);
      });
    });
  }

  /** Stops accepting calls, lets running ones finish for up to `timeoutMs`, then cancels what is left. */
  close(timeoutMs: number): Promise<void> {
    if (!this.bound) return Promise.resolve();
    this.bound = false;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, timeoutMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private exportHandler(signal: OtlpSignal): UnaryHandler {
    return (call, callback) => {
      this.handle(signal, call)
        .then(
          (response) => callback(null, response),
          (error: unknown) => callback(this.errorFor(toRefusal(error), signal)),
        )
        // Only reached if answering itself threw; an unhandled rejection would end the process.
        .catch(() =>
          callback({ code: OUTCOMES.unavailable.grpc, details: 'the receiver failed to answer; retry later' }),
        );
    };
  }

  private async handle(signal: OtlpSignal, call: ServerUnaryCall<Buffer, Buffer>): Promise<Buffer> {
    const authorization = call.metadata.get('authorization')[0];
    if (!this.deps.authorize(typeof authorization === 'string' ? authorization : undefined)) {
      throw new OtlpRefusal('unauthenticated', 'missing or wrong bearer token in the authorization metadata');
    }
    // grpc-js has already buffered the message; the bound still caps decode and store work in flight.
    const ticket = this.deps.admission.tryAcquire(call.request.length);
    if (ticket === undefined) {
      throw new OtlpRefusal('overloaded', 'the receiver is at its in-flight limit; retry later');
    }
    try {
      await this.deps.exportBody(signal, 'protobuf', call.request);
      return this.deps.responseBody(signal, 'protobuf');
    } finally {
      ticket.release();
    }
  }

  private metricsHandler(): UnaryHandler {
    return (_call, callback) => {
      const refusal = new OtlpRefusal('signal_not_accepted', `${SIGNALS_TEXT}; use TraceService or LogsService`);
      callback(this.errorFor(refusal, undefined));
    };
  }

  /** The status to end the call with; `grpc-status-details-bin` carries it as google.rpc.Status with RetryInfo. */
  private errorFor(refusal: OtlpRefusal, signal: OtlpSignal | undefined): ServerErrorResponse {
    this.deps.onRefusal(refusal, signal);
    const code = OUTCOMES[refusal.outcome].grpc;
    const delay = retryDelaySeconds(refusal.outcome);
    const metadata = new Metadata();
    try {
      const details = this.deps.statusBody('protobuf', {
        code,
        message: refusal.message,
        ...(delay === undefined ? {} : { retryDelaySeconds: delay }),
      });
      metadata.set('grpc-status-details-bin', details);
    } catch {
      // The code and message still go out in grpc-status / grpc-message.
    }
    return Object.assign(new Error(refusal.message), { code, details: refusal.message, metadata });
  }
}
