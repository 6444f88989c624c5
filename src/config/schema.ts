/** @module The configuration schema: every environment variable Rounds reads, its default and what it accepts. */
import { z } from 'zod';
import { checkExtraPatterns, parseExtraPatterns } from '../redaction/index.js';

const positiveInt = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((raw, ctx) => {
      const value = Number(raw.trim());
      if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value <= 0) {
        ctx.addIssue({ code: 'custom', message: 'expected a positive integer' });
        return z.NEVER;
      }
      return value;
    });

/** A TCP port to listen on; 0 asks the OS for a free port (tests, several instances on one host). */
const listenPort = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((raw, ctx) => {
      const value = Number(raw.trim());
      if (!/^\d+$/.test(raw.trim()) || value > 65535) {
        ctx.addIssue({ code: 'custom', message: 'expected a TCP port from 0 (any free port) to 65535' });
        return z.NEVER;
      }
      return value;
    });

const nonNegativeNumber = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((raw, ctx) => {
      const value = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
        ctx.addIssue({ code: 'custom', message: 'expected a number of zero or more (for example 2.5)' });
        return z.NEVER;
      }
      return value;
    });

const bool = (fallback: boolean) =>
  z
    .string()
    .default(String(fallback))
    .transform((raw, ctx) => {
      const value = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(value)) return true;
      if (['false', '0', 'no', 'off', ''].includes(value)) return false;
      ctx.addIssue({ code: 'custom', message: 'expected true or false' });
      return z.NEVER;
    });

const choice = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  z
    .string()
    .default(fallback)
    .transform((raw, ctx) => {
      const value = raw.trim().toLowerCase();
      if ((values as readonly string[]).includes(value)) return value as T[number];
      ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}` });
      return z.NEVER;
    });

const list = <const T extends readonly [string, ...string[]]>(values: T, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((raw, ctx) => {
      const items = splitList(raw).map((item) => item.toLowerCase());
      const unknown = items.filter((item) => !(values as readonly string[]).includes(item));
      if (items.length === 0 || unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${values.join(', ')}` });
        return z.NEVER;
      }
      return [...new Set(items)] as T[number][];
    });

const patterns = z
  .string()
  .default('')
  .transform((raw) => splitList(raw));

const optionalText = z
  .string()
  .optional()
  .transform((raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()));

const optionalUrl = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === '') return undefined;
    try {
      const url = new URL(raw.trim());
      if (!['http:', 'https:'].includes(url.protocol)) throw new Error('scheme');
      return raw.trim().replace(/\/+$/, '');
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' });
      return z.NEVER;
    }
  });

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export const RUN_MODES = ['daemon', 'cli', 'webhook'] as const;
export const TELEMETRY_BACKENDS = ['none', 'signoz', 'jaeger', 'grafana_stack'] as const;
export const STORE_BACKENDS = ['sqlite', 'postgresql'] as const;
export const DIAGNOSIS_BACKENDS = ['auto', 'claude_code', 'anthropic', 'openai', 'offline'] as const;
export const NOTIFICATION_BACKENDS = ['stdout', 'markdown', 'github_issue'] as const;
export const CONFIDENCES = ['low', 'medium', 'high'] as const;

/** Keys are the environment variable names: the names in the deployment guide are a contract. */
export const envSchema = z.object({
  RUN_MODE: choice(RUN_MODES, 'daemon'),
  LOG_LEVEL: choice(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
  LOG_FORMAT: choice(['json', 'pretty'], 'pretty'),

  TELEMETRY_BACKEND: choice(TELEMETRY_BACKENDS, 'none'),
  SIGNOZ_API_URL: optionalUrl,
  SIGNOZ_API_KEY: optionalText,
  JAEGER_API_URL: optionalUrl,
  GRAFANA_TEMPO_URL: optionalUrl,
  GRAFANA_LOKI_URL: optionalUrl,
  GRAFANA_PROMETHEUS_URL: optionalUrl,
  GRAFANA_API_KEY: optionalText,
  POLL_INTERVAL_SECONDS: positiveInt(60),
  POLL_BATCH_SIZE: positiveInt(100),
  ERROR_LOOKBACK_MINUTES: positiveInt(15),

  STORE_BACKEND: choice(STORE_BACKENDS, 'sqlite'),
  STORE_SQLITE_PATH: z.string().default('./data/signatures.db'),
  STORE_POSTGRESQL_URL: optionalText,
  // Connections per Rounds instance; several instances share one database.
  STORE_POSTGRESQL_POOL_SIZE: positiveInt(10),
  // Tables go in this schema (created if missing) instead of the server's default search path.
  STORE_POSTGRESQL_SCHEMA: optionalText,
  STORE_SEEN_EVENT_RETENTION_HOURS: positiveInt(72),
  STORE_MAX_SAMPLES_PER_SIGNATURE: positiveInt(20),

  OTLP_RECEIVER_ENABLED: bool(true),
  OTLP_PROTOCOLS: list(['grpc', 'http'], 'grpc,http'),
  OTLP_BIND_HOST: z.string().default('127.0.0.1'),
  OTLP_GRPC_PORT: listenPort(4317),
  OTLP_HTTP_PORT: listenPort(4318),
  OTLP_MAX_REQUEST_BYTES: positiveInt(64 * 1024 * 1024),
  OTLP_MAX_INFLIGHT_BYTES: positiveInt(32 * 1024 * 1024),
  OTLP_MAX_INFLIGHT_REQUESTS: positiveInt(64),
  OTLP_AUTH_TOKEN: optionalText,
  OTLP_TLS_CERT_FILE: optionalText,
  OTLP_TLS_KEY_FILE: optionalText,
  OTLP_TRACE_BUFFER_BYTES: positiveInt(16 * 1024 * 1024),
  // How long after an error its trace is copied from the buffer to the store: spans still arriving (other
  // services, batching SDKs) are only in the snapshot if they came within this time.
  OTLP_TRACE_SNAPSHOT_SETTLE_MS: positiveInt(5000),

  FINGERPRINT_INCLUDE_SERVICE: bool(true),
  FINGERPRINT_IN_APP_INCLUDE: patterns,
  FINGERPRINT_IN_APP_EXCLUDE: patterns,

  TRIAGE_MIN_OCCURRENCES: positiveInt(3),
  TRIAGE_COOLDOWN_HOURS: nonNegativeNumber(24),
  // How often the daemon decides which signatures to diagnose and claims work from the queue.
  TRIAGE_INTERVAL_SECONDS: positiveInt(15),

  DIAGNOSIS_BACKEND: choice(DIAGNOSIS_BACKENDS, 'auto'),
  DIAGNOSIS_CONCURRENCY: positiveInt(1),
  DIAGNOSIS_TIMEOUT_SECONDS: positiveInt(300),
  DIAGNOSIS_MAX_ATTEMPTS: positiveInt(5),
  // First retry after a failed diagnosis; doubles per further failure, capped at the triage cooldown.
  DIAGNOSIS_RETRY_BASE_SECONDS: positiveInt(60),
  DIAGNOSIS_MAX_CONTEXT_TOKENS: positiveInt(60_000),
  CODEBASE_PATH: z.string().default('.'),
  ANTHROPIC_API_KEY: optionalText,
  // A proxy or gateway in front of the Anthropic API (used by both the anthropic and claude_code engines).
  ANTHROPIC_BASE_URL: optionalUrl,
  CLAUDE_MODEL: z.string().default('claude-opus'),
  CLAUDE_CODE_BUDGET_USD: nonNegativeNumber(2),
  ANTHROPIC_BUDGET_USD: nonNegativeNumber(2),
  OPENAI_API_KEY: optionalText,
  OPENAI_MODEL: z.string().default('gpt-4'),
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_BUDGET_USD: nonNegativeNumber(2),
  DAILY_BUDGET_LIMIT: nonNegativeNumber(100),
  // Prices per million tokens overriding the built-in table, as JSON: {"my-model": {"input": 1, "output": 2}}.
  DIAGNOSIS_PRICES: optionalText,

  NOTIFICATION_BACKEND: list(NOTIFICATION_BACKENDS, 'stdout'),
  NOTIFICATION_OUTPUT_DIR: z.string().default('./reports'),
  // Unset: medium, or low when the offline engine is the one diagnosing (so a user with no LLM still gets reports).
  NOTIFY_MIN_CONFIDENCE: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const value = raw.trim().toLowerCase();
      if ((CONFIDENCES as readonly string[]).includes(value)) return value as (typeof CONFIDENCES)[number];
      ctx.addIssue({ code: 'custom', message: `expected one of ${CONFIDENCES.join(', ')}` });
      return z.NEVER;
    }),
  // Extra redaction patterns, one regular expression per line (regexes contain commas); see docs/redaction.md.
  REDACTION_EXTRA_PATTERNS: z
    .string()
    .default('')
    .transform((raw, ctx) => {
      const patterns = parseExtraPatterns(raw);
      for (const problem of checkExtraPatterns(patterns)) ctx.addIssue({ code: 'custom', message: problem });
      return patterns;
    }),
  // A link to one trace in the telemetry UI, `{traceId}` standing for the id; derived from the backend's URL if unset.
  TRACE_URL_TEMPLATE: optionalText,
  GITHUB_TOKEN: optionalText,
  GITHUB_REPO: optionalText,
  GITHUB_API_URL: optionalUrl,
  GITHUB_LABELS: patterns,

  WEBHOOK_HOST: z.string().default('127.0.0.1'),
  WEBHOOK_PORT: listenPort(8080),
  WEBHOOK_API_KEY: optionalText,
  WEBHOOK_REQUIRE_AUTH: bool(false),
});

export type EnvConfig = z.output<typeof envSchema>;

/** Variables whose values are never printed: masked in `rounds config` and in error messages. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'SIGNOZ_API_KEY',
  'GRAFANA_API_KEY',
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'GITHUB_TOKEN',
  'WEBHOOK_API_KEY',
  'OTLP_AUTH_TOKEN',
]);

/** Variables that may carry a password inside a URL: only the password part is masked. */
export const URL_WITH_CREDENTIALS: ReadonlySet<string> = new Set(['STORE_POSTGRESQL_URL']);
