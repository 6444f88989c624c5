/** @module The composition root: configuration in, wired adapters out, started and stopped in order. */
import type { EnvConfig } from './config/index.js';
import { selectDiagnosisEngine } from './diagnosis/select-engine.js';
import { RoundsError } from './domain/index.js';
import { Fingerprinter } from './fingerprint/index.js';
import { FanOutNotifier } from './notify/fan-out.js';
import { GithubIssueNotifier } from './notify/github/index.js';
import { MarkdownNotifier } from './notify/markdown.js';
import type { TraceUrl } from './notify/report.js';
import { setSafeTextRedactor } from './notify/safe-text.js';
import { StdoutNotifier } from './notify/stdout.js';
import type { Logger } from './observability/logger.js';
import { IngestPipeline } from './pipeline/ingest.js';
import type { EventSource, Notifier, SignatureStore } from './ports/index.js';
import { Redactor } from './redaction/index.js';
import { otlpReceiverConfig } from './sources/otlp/config.js';
import { OtlpReceiver } from './sources/otlp/receiver.js';
import { PostgresqlSignatureStore } from './store/postgresql/postgresql-signature-store.js';
import { SqliteSignatureStore } from './store/sqlite/sqlite-signature-store.js';
import { type InvestigationOutcome, InvestigationWorker } from './workflow/investigation-worker.js';
import { anyChannelTakes, channelTakes, defaultMinConfidence } from './workflow/notification-policy.js';
import { OutboxDispatcher } from './workflow/outbox-dispatcher.js';
import { TriagePass } from './workflow/triage-pass.js';
import { WorkflowLoops } from './workflow/workflow-loops.js';

export interface AppOptions {
  config: Readonly<EnvConfig>;
  logger: Logger;
  /** Where the stdout notifier writes; process.stdout unless a test captures it. */
  stdout?: NodeJS.WritableStream;
}

export interface RoundsApp {
  readonly store: SignatureStore;
  readonly pipeline: IngestPipeline;
  /** The engine diagnoses go to (behind the daily budget and the citation check). */
  readonly engineName: string;
  /**
   * Diagnoses one signature now through the same lease, budget and citation checks as the daemon, then delivers
   * the reports it queued. Needs start() first.
   */
  diagnoseNow(signatureId: string): Promise<InvestigationOutcome>;
  start(): Promise<void>;
  /** Safe before start() and safe to repeat. */
  stop(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export function createStore(config: Readonly<EnvConfig>): SignatureStore {
  if (config.STORE_BACKEND === 'postgresql') {
    // loadConfig's cross-checks already demand the URL; this guards callers that build a config by hand.
    if (config.STORE_POSTGRESQL_URL === undefined) {
      throw new RoundsError('ROUNDS_INVALID_CONFIG', 'STORE_BACKEND=postgresql needs STORE_POSTGRESQL_URL');
    }
    return new PostgresqlSignatureStore({
      url: config.STORE_POSTGRESQL_URL,
      poolSize: config.STORE_POSTGRESQL_POOL_SIZE,
      maxSamplesPerSignature: config.STORE_MAX_SAMPLES_PER_SIGNATURE,
      ...(config.STORE_POSTGRESQL_SCHEMA ? { schema: config.STORE_POSTGRESQL_SCHEMA } : {}),
    });
  }
  return new SqliteSignatureStore({
    path: config.STORE_SQLITE_PATH,
    maxSamplesPerSignature: config.STORE_MAX_SAMPLES_PER_SIGNATURE,
  });
}

export function createFingerprinter(config: Readonly<EnvConfig>): Fingerprinter {
  return new Fingerprinter({
    includeService: config.FINGERPRINT_INCLUDE_SERVICE,
    inApp: { include: config.FINGERPRINT_IN_APP_INCLUDE, exclude: config.FINGERPRINT_IN_APP_EXCLUDE },
  });
}

/** TRACE_URL_TEMPLATE, else the trace page of the configured Jaeger or SigNoz UI; undefined when neither is known. */
export function traceUrlFor(config: Readonly<EnvConfig>): TraceUrl | undefined {
  const template =
    config.TRACE_URL_TEMPLATE ??
    (config.TELEMETRY_BACKEND === 'jaeger' && config.JAEGER_API_URL
      ? `${config.JAEGER_API_URL}/trace/{traceId}`
      : undefined) ??
    (config.TELEMETRY_BACKEND === 'signoz' && config.SIGNOZ_API_URL
      ? `${config.SIGNOZ_API_URL}/trace/{traceId}`
      : undefined);
  if (template === undefined) return undefined;
  return (traceId) => template.replaceAll('{traceId}', encodeURIComponent(traceId));
}

function createChannels(options: AppOptions, store: SignatureStore): Notifier[] {
  const { config } = options;
  const traceUrl = traceUrlFor(config);
  const notifiers: Notifier[] = [];
  for (const backend of config.NOTIFICATION_BACKEND) {
    if (backend === 'stdout') {
      notifiers.push(
        new StdoutNotifier({ format: options.config.LOG_FORMAT, ...(options.stdout ? { out: options.stdout } : {}) }),
      );
    } else if (backend === 'markdown') {
      notifiers.push(
        new MarkdownNotifier({ outputDir: config.NOTIFICATION_OUTPUT_DIR, ...(traceUrl ? { traceUrl } : {}) }),
      );
    } else {
      // loadConfig's cross-checks already demand both; this guards callers that build a config by hand.
      if (config.GITHUB_TOKEN === undefined || config.GITHUB_REPO === undefined) {
        throw new RoundsError(
          'ROUNDS_INVALID_CONFIG',
          'NOTIFICATION_BACKEND=github_issue needs GITHUB_TOKEN and GITHUB_REPO (owner/repo)',
        );
      }
      notifiers.push(
        new GithubIssueNotifier({
          token: config.GITHUB_TOKEN,
          repo: config.GITHUB_REPO,
          apiUrl: config.GITHUB_API_URL,
          labels: config.GITHUB_LABELS,
          traceUrl,
          // The issue number lives in the store, so a restart edits the same issue instead of opening another.
          store,
          logger: options.logger,
        }),
      );
    }
  }
  return notifiers;
}

function createSources(config: Readonly<EnvConfig>, logger: Logger): EventSource[] {
  if (config.TELEMETRY_BACKEND !== 'none') {
    throw new RoundsError(
      'ROUNDS_INVALID_CONFIG',
      `TELEMETRY_BACKEND=${config.TELEMETRY_BACKEND}: the poller for this backend is not part of this build yet; use none`,
    );
  }
  const sources: EventSource[] = [];
  // Only the daemon listens: a one-shot `run` or the webhook mode must not grab the OTLP ports.
  if (config.OTLP_RECEIVER_ENABLED && config.RUN_MODE === 'daemon') {
    sources.push(new OtlpReceiver({ config: otlpReceiverConfig(config), logger }));
  }
  return sources;
}

function createLoops(
  config: Readonly<EnvConfig>,
  logger: Logger,
  store: SignatureStore,
  engine: ReturnType<typeof selectDiagnosisEngine>,
  channels: readonly Notifier[],
): { loops: WorkflowLoops; worker: InvestigationWorker; outbox: OutboxDispatcher } {
  const cooldownMs = config.TRIAGE_COOLDOWN_HOURS * HOUR_MS;
  const policy = { minConfidence: config.NOTIFY_MIN_CONFIDENCE ?? defaultMinConfidence(engine.name) };
  const outbox = new OutboxDispatcher({ store, channels, policy, logger });
  const takesUpdates = anyChannelTakes(
    channels.map((c) => c.name),
    'update',
  );
  const triage = new TriagePass({
    store,
    logger,
    ...(takesUpdates ? { refreshIntervalMs: 15 * 60_000 } : {}),
    policy: { minOccurrences: config.TRIAGE_MIN_OCCURRENCES, cooldownMs, maxAttempts: config.DIAGNOSIS_MAX_ATTEMPTS },
  });
  let loops: WorkflowLoops | undefined;
  const worker = new InvestigationWorker({
    store,
    engine,
    logger,
    concurrency: config.DIAGNOSIS_CONCURRENCY,
    timeoutMs: config.DIAGNOSIS_TIMEOUT_SECONDS * 1000,
    maxAttempts: config.DIAGNOSIS_MAX_ATTEMPTS,
    retryBaseMs: config.DIAGNOSIS_RETRY_BASE_SECONDS * 1000,
    retryMaxMs: Math.max(config.DIAGNOSIS_RETRY_BASE_SECONDS * 1000, cooldownMs),
    onDiagnosed: () => loops?.deliver(),
  });
  loops = new WorkflowLoops({
    triage,
    worker,
    outbox,
    logger,
    triageIntervalMs: config.TRIAGE_INTERVAL_SECONDS * 1000,
  });
  return { loops, worker, outbox };
}

/** Builds every component up front, so a configuration that cannot work fails before anything starts. */
export function createApp(options: AppOptions): RoundsApp {
  const { config, logger } = options;
  // Process-wide: every report renderer and prompt builder redacts through it.
  const redactor = new Redactor({ extraPatterns: config.REDACTION_EXTRA_PATTERNS });
  setSafeTextRedactor(redactor);
  const store = createStore(config);
  const channels = createChannels(options, store);
  const sources = createSources(config, logger);
  const engine = selectDiagnosisEngine(config, { store, logger, redact: (text) => redactor.redact(text).text });
  // New signatures are announced straight after their batch commits, on the channels that show them; every other
  // report goes through the durable outbox.
  const notifier = new FanOutNotifier(channels.filter((c) => channelTakes(c.name, 'new_signature')));
  const pipeline = new IngestPipeline({ store, fingerprinter: createFingerprinter(config), notifier, logger });
  // On-request diagnoses (CLI, webhook) are awaited by stop(), after the worker has aborted and released them.
  const onRequest = new Set<Promise<unknown>>();
  const workflow = createLoops(config, logger, store, engine, channels);
  // Only the daemon runs the rounds; other modes diagnose on request (diagnoseNow).
  const loops = config.RUN_MODE === 'daemon' ? workflow.loops : undefined;
  const started: { stop(): Promise<void> }[] = [];
  let pruneTimer: NodeJS.Timeout | undefined;

  const pruneSeenEvents = async (): Promise<void> => {
    const cutoff = Date.now() - config.STORE_SEEN_EVENT_RETENTION_HOURS * HOUR_MS;
    try {
      const dropped = await store.pruneSeenEvents(cutoff);
      if (dropped > 0) logger.info({ dropped }, 'pruned seen event ids past the retention window');
    } catch (error) {
      logger.error({ err: error }, 'pruning seen event ids failed; will try again next hour');
    }
  };

  const stop = async (): Promise<void> => {
    if (pruneTimer !== undefined) clearInterval(pruneTimer);
    pruneTimer = undefined;
    // Sources first, so nothing new arrives while the store closes.
    while (started.length > 0) {
      const component = started.pop();
      try {
        await component?.stop();
      } catch (error) {
        logger.error({ err: error }, 'a component failed to stop cleanly');
      }
    }
    // Outside the daemon the loops never started, but their worker runs on-request diagnoses and a finished one
    // starts a delivery round: stopping them aborts and releases those, and waits for the round.
    if (loops === undefined) await workflow.loops.stop();
    await Promise.allSettled([...onRequest]);
    await store.close();
  };

  return {
    store,
    pipeline,
    engineName: engine.name,
    async diagnoseNow(signatureId) {
      const run = (async () => {
        const outcome = await workflow.worker.investigateNow(signatureId);
        await workflow.outbox.runOnce();
        return outcome;
      })();
      onRequest.add(run);
      void run.then(
        () => onRequest.delete(run),
        () => onRequest.delete(run),
      );
      return run;
    },
    async start() {
      try {
        await store.open();
        const where =
          store instanceof PostgresqlSignatureStore ? { url: store.location } : { path: config.STORE_SQLITE_PATH };
        logger.info({ component: 'store', backend: store.kind, ...where }, 'store ready');
        logger.info({ component: 'notifier', backends: config.NOTIFICATION_BACKEND }, 'notifiers ready');
        for (const source of sources) {
          await source.start(pipeline);
          started.push(source);
          logger.info({ component: 'source', source: source.name }, 'source started');
        }
        if (sources.length === 0) {
          logger.info({ component: 'sources' }, 'no telemetry source configured (TELEMETRY_BACKEND=none)');
        }
        if (loops) {
          loops.start();
          started.push(loops);
          logger.info(
            { component: 'workflow', engine: engine.name, concurrency: config.DIAGNOSIS_CONCURRENCY },
            'triage, diagnosis and report delivery started',
          );
        }
        pruneTimer = setInterval(() => void pruneSeenEvents(), HOUR_MS);
        pruneTimer.unref();
      } catch (error) {
        // A half-started app undoes itself, so a retry starts from a clean slate.
        await stop();
        throw error;
      }
    },
    stop,
  };
}
