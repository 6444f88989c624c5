/** @module The composition root: configuration in, wired adapters out, started and stopped in order. */
import type { EnvConfig } from './config/index.js';
import { RoundsError } from './domain/index.js';
import { Fingerprinter } from './fingerprint/index.js';
import { FanOutNotifier } from './notify/fan-out.js';
import { GithubIssueNotifier } from './notify/github/index.js';
import { MarkdownNotifier } from './notify/markdown.js';
import { StdoutNotifier } from './notify/stdout.js';
import type { Logger } from './observability/logger.js';
import { IngestPipeline } from './pipeline/ingest.js';
import type { EventSource, Notifier, SignatureStore } from './ports/index.js';
import { otlpReceiverConfig } from './sources/otlp/config.js';
import { OtlpReceiver } from './sources/otlp/receiver.js';
import { SqliteSignatureStore } from './store/sqlite/sqlite-signature-store.js';

export interface AppOptions {
  config: Readonly<EnvConfig>;
  logger: Logger;
  /** Where the stdout notifier writes; process.stdout unless a test captures it. */
  stdout?: NodeJS.WritableStream;
}

export interface RoundsApp {
  readonly store: SignatureStore;
  readonly pipeline: IngestPipeline;
  start(): Promise<void>;
  /** Safe before start() and safe to repeat. */
  stop(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export function createStore(config: Readonly<EnvConfig>): SignatureStore {
  if (config.STORE_BACKEND === 'postgresql') {
    throw new RoundsError(
      'ROUNDS_INVALID_CONFIG',
      'STORE_BACKEND=postgresql: the PostgreSQL store is not part of this build yet; use STORE_BACKEND=sqlite',
    );
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

function createNotifier(options: AppOptions, store: SignatureStore): Notifier {
  const { config } = options;
  const notifiers: Notifier[] = [];
  for (const backend of config.NOTIFICATION_BACKEND) {
    if (backend === 'stdout') {
      notifiers.push(
        new StdoutNotifier({ format: options.config.LOG_FORMAT, ...(options.stdout ? { out: options.stdout } : {}) }),
      );
    } else if (backend === 'markdown') {
      notifiers.push(new MarkdownNotifier({ outputDir: config.NOTIFICATION_OUTPUT_DIR }));
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
          // The issue number lives in the store, so a restart edits the same issue instead of opening another.
          store,
          logger: options.logger,
        }),
      );
    }
  }
  return notifiers.length === 1 && notifiers[0] !== undefined ? notifiers[0] : new FanOutNotifier(notifiers);
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

/** Builds every component up front, so a configuration that cannot work fails before anything starts. */
export function createApp(options: AppOptions): RoundsApp {
  const { config, logger } = options;
  const store = createStore(config);
  const notifier = createNotifier(options, store);
  const sources = createSources(config, logger);
  const pipeline = new IngestPipeline({ store, fingerprinter: createFingerprinter(config), notifier, logger });
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
    await store.close();
  };

  return {
    store,
    pipeline,
    async start() {
      try {
        await store.open();
        logger.info({ component: 'store', backend: store.kind, path: config.STORE_SQLITE_PATH }, 'store ready');
        logger.info({ component: 'notifier', backends: config.NOTIFICATION_BACKEND }, 'notifiers ready');
        for (const source of sources) {
          await source.start(pipeline);
          started.push(source);
          logger.info({ component: 'source', source: source.name }, 'source started');
        }
        if (sources.length === 0) {
          logger.info({ component: 'sources' }, 'no telemetry source configured (TELEMETRY_BACKEND=none)');
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
