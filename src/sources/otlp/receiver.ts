/** @module The OTLP receiver: an EventSource serving OTLP/gRPC and OTLP/HTTP, feeding error events to the sink. */
import type { Logger } from '../../observability/logger.js';
import type { EventSink, EventSource, IngestSummary } from '../../ports/index.js';
import { Admission } from './admission.js';
import { type Authorizer, bearerAuthorizer } from './auth.js';
import type { OtlpReceiverConfig, OtlpTransport } from './config.js';
import { deferExportRequest, encodeExportResponse, encodeStatus } from './decode.js';
import type { OtlpEncoding, OtlpSignal } from './decoded.js';
import { GroupCommit } from './group-commit.js';
import { OtlpGrpcServer } from './server-grpc.js';
import { OtlpHttpServer } from './server-http.js';
import { TraceSnapshotCapture } from './snapshot-capture.js';
import { type OtlpRefusal, OUTCOMES } from './status.js';
import { RecentTraceBuffer } from './trace-buffer.js';

export interface TransportStats {
  /** Requests answered with success, and requests refused for any reason. */
  requests: { accepted: number; refused: number };
  /** Spans and log records in accepted requests, and in requests refused after decoding. */
  items: { accepted: number; refused: number };
  /** Error events handed to the sink and stored. */
  errorEvents: number;
}

export interface OtlpReceiverOptions {
  config: OtlpReceiverConfig;
  logger: Logger;
}

function emptyStats(): TransportStats {
  return { requests: { accepted: 0, refused: 0 }, items: { accepted: 0, refused: 0 }, errorEvents: 0 };
}

export class OtlpReceiver implements EventSource {
  readonly name = 'otlp';
  private readonly config: OtlpReceiverConfig;
  private readonly logger: Logger;
  private readonly admission: Admission;
  private readonly authorize: Authorizer;
  private readonly traceBuffer: RecentTraceBuffer;
  private readonly counters: Record<OtlpTransport, TransportStats> = { grpc: emptyStats(), http: emptyStats() };
  private readonly boundPorts: { grpc?: number; http?: number } = {};
  private running: { grpc?: OtlpGrpcServer; http?: OtlpHttpServer } = {};
  /** Present from start() to stop() when the sink can store trace snapshots. */
  private capture: TraceSnapshotCapture | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: OtlpReceiverOptions) {
    this.config = options.config;
    this.logger = options.logger.child({ component: 'otlp' });
    this.admission = new Admission({
      maxRequests: options.config.maxInflightRequests,
      maxBytes: options.config.maxInflightBytes,
    });
    this.authorize = bearerAuthorizer(options.config.authToken);
    this.traceBuffer = new RecentTraceBuffer({ maxBytes: options.config.traceBufferBytes });
  }

  /**
   * Starts every configured transport. If one fails (port taken), those already started are stopped again
   * and the error names host:port, so a retry starts from nothing.
   */
  async start(sink: EventSink): Promise<void> {
    if (this.running.grpc !== undefined || this.running.http !== undefined) {
      throw new Error('otlp receiver is already started');
    }
    this.stopping = undefined;
    // Requests ready at about the same time share one sink.ingest, so one store transaction serves them all.
    const commits = new GroupCommit((events) => sink.ingest(events));
    const save = sink.saveTraceSnapshots?.bind(sink);
    if (save !== undefined) {
      this.capture = new TraceSnapshotCapture({
        buffer: this.traceBuffer,
        save,
        logger: this.logger,
        settleMs: this.config.traceSnapshotSettleMs,
        stopTimeoutMs: this.config.shutdownTimeoutMs,
      });
    }
    const { host } = this.config;
    try {
      for (const transport of this.config.protocols) {
        const port = await this.startTransport(transport, commits);
        this.boundPorts[transport] = port;
        this.logger.info({ transport, host, port }, `otlp ${transport} listening on ${hostPort(host, port)}`);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** The ports actually bound (OTLP_*_PORT=0 means any free port); empty before start and after stop. */
  ports(): { grpc?: number; http?: number } {
    return { ...this.boundPorts };
  }

  /** Accepted and refused counts per transport, since construction. */
  stats(): Record<OtlpTransport, TransportStats> {
    return structuredClone(this.counters);
  }

  /**
   * Stops accepting, lets in-flight requests finish (bounded wait), then captures the traces still waiting
   * (bounded wait), so the sink is idle when this resolves. Safe before start and safe to repeat.
   */
  stop(): Promise<void> {
    if (this.stopping === undefined) {
      const servers = this.running;
      this.running = {};
      // Requests finishing during the drain still schedule their traces, so the capture stops after it.
      const capture = this.capture;
      const timeout = this.config.shutdownTimeoutMs;
      this.stopping = Promise.all([servers.grpc?.close(timeout), servers.http?.close(timeout)]).then(async () => {
        delete this.boundPorts.grpc;
        delete this.boundPorts.http;
        if (this.capture === capture) this.capture = undefined;
        await capture?.stop();
      });
    }
    return this.stopping;
  }

  private async startTransport(transport: OtlpTransport, commits: GroupCommit): Promise<number> {
    const deps = {
      config: this.config,
      admission: this.admission,
      authorize: this.authorize,
      exportBody: (signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer) =>
        this.exportBody(transport, commits, signal, encoding, body),
      responseBody: encodeExportResponse,
      statusBody: encodeStatus,
      onRefusal: (refusal: OtlpRefusal, signal: OtlpSignal | undefined) => this.refused(transport, refusal, signal),
    };
    if (transport === 'grpc') {
      const server = new OtlpGrpcServer(deps);
      this.running.grpc = server;
      return server.listen(this.config.host, this.config.grpcPort);
    }
    const server = new OtlpHttpServer(deps);
    this.running.http = server;
    return server.listen(this.config.host, this.config.httpPort);
  }

  /** Decode, then store: resolves only once the sink has made the events durable. */
  private async exportBody(
    transport: OtlpTransport,
    commits: GroupCommit,
    signal: OtlpSignal,
    encoding: OtlpEncoding,
    body: Buffer,
  ): Promise<void> {
    // Error events of protobuf traces are built only when their group is stored (deferExportRequest).
    const decoded = deferExportRequest(signal, encoding, body, this.traceBuffer);
    const counters = this.counters[transport];
    let summary: IngestSummary | undefined;
    let events = 0;
    try {
      // Batches with no errors (most of them) never touch the store.
      if (decoded.pendingCount > 0) {
        const pending = {
          pendingCount: decoded.pendingCount,
          errorEvents: () => {
            const built = decoded.errorEvents();
            events = built.length;
            return built;
          },
        };
        summary = await commits.submit(pending, body.byteLength);
      }
    } catch (error) {
      counters.items.refused += decoded.itemCount;
      throw error;
    }
    counters.requests.accepted += 1;
    counters.items.accepted += decoded.itemCount;
    counters.errorEvents += events;
    // Only once the events are durable, and only the traces of events kept as samples: the store keeps no
    // other snapshot, and assembling a trace costs far more than decoding it. Both transports come through
    // here, so this is the one place that schedules.
    if (signal === 'traces' && summary !== undefined && summary.sampledTraceIds.length > 0) {
      this.capture?.schedule(summary.sampledTraceIds);
    }
  }

  private refused(transport: OtlpTransport, refusal: OtlpRefusal, signal: OtlpSignal | undefined): void {
    this.counters[transport].requests.refused += 1;
    const fields = { transport, signal, outcome: refusal.outcome, status: OUTCOMES[refusal.outcome].http };
    if (refusal.outcome === 'unavailable') {
      // Ours, not the client's: the cause (store down, a bug) is what an operator needs.
      this.logger.error({ ...fields, err: refusal.cause }, `otlp request refused: ${refusal.message}`);
    } else {
      // Bad client input and backpressure are routine; at info they would flood the log under attack or load.
      this.logger.debug(fields, `otlp request refused: ${refusal.message}`);
    }
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
