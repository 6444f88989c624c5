/** @module How the PostgreSQL store names its server without the password, and which failures are worth a retry. */
import { RoundsError } from '../../domain/index.js';

/** The server a store talks to, as it may be shown in errors and logs: never with the password. */
export class PgTarget {
  /** The URL with its password replaced by `****`. */
  readonly display: string;
  // An ES private field: util.inspect and JSON.stringify of a target (or of a store holding one) do not show it.
  readonly #secret: string | undefined;

  constructor(url: string) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed) {
      // Not a URL we can take apart: show nothing of it rather than risk showing a password.
      this.display = '(an unparseable PostgreSQL URL)';
      this.#secret = undefined;
      return;
    }
    const password = safeDecode(parsed.password);
    this.#secret = password.length > 0 ? password : undefined;
    const auth = parsed.username ? `${parsed.username}${parsed.password ? ':****' : ''}@` : '';
    const query = [...parsed.searchParams.keys()].some((k) => /pass/i.test(k)) ? '' : parsed.search;
    this.display = `${parsed.protocol}//${auth}${parsed.host}${parsed.pathname}${query}`;
  }

  /** Removes the password from text that may have picked it up (a driver message quoting the URL). */
  scrub(text: string): string {
    if (this.#secret === undefined || this.#secret.length < 3) return text;
    return text.split(this.#secret).join('****');
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** SQLSTATEs after which the same work, retried from the start of its transaction, can succeed. */
const CONFLICT = new Set(['40001', '40P01']);
/** SQLSTATE classes and codes that mean the server is unreachable, overloaded or going away. */
const UNAVAILABLE_CLASSES = ['08', '53', '57P', '58'];
const UNAVAILABLE_CODES = new Set(['55P03', '57014', '40003']);
/** Wrong password, unknown user or database, no privilege: retrying will not help until someone fixes the config. */
const MISCONFIGURED_CLASSES = ['28', '3D', '42501'];
/** Node network errors. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
]);
/** What node-postgres throws, without a code, when a connection drops or cannot be made in time. */
const DRIVER_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|connection timeout|not queryable/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A serialization failure or deadlock: the transaction was rolled back and may simply be run again. */
export function isConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && CONFLICT.has(code);
}

type Kind = 'conflict' | 'unavailable' | 'misconfigured' | undefined;

function classify(error: unknown): Kind {
  if (error instanceof RoundsError) return undefined;
  if (error instanceof AggregateError && error.errors.length > 0) return classify(error.errors[0]);
  const code = codeOf(error);
  if (code !== undefined) {
    if (CONFLICT.has(code)) return 'conflict';
    if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.some((c) => code.startsWith(c))) return 'unavailable';
    if (MISCONFIGURED_CLASSES.some((c) => code.startsWith(c))) return 'misconfigured';
    if (NETWORK.has(code)) return 'unavailable';
  }
  return error instanceof Error && DRIVER_MESSAGES.test(error.message) ? 'unavailable' : undefined;
}

/** The error's own words, or its code when it has none (a refused connection to a dual-stack host). */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message && error.errors.length > 0) return reasonOf(error.errors[0]);
  if (error instanceof Error) return error.message || codeOf(error) || error.name;
  return String(error);
}

/**
 * Turns connection failures, conflicts that outlived their retries, and configuration problems into
 * ROUNDS_STORE_UNAVAILABLE naming the server (retryable unless only a config change can help); anything else
 * (a bug, a constraint, a RoundsError) passes through unchanged.
 */
export function toStoreError(error: unknown, target: PgTarget, doing: string): unknown {
  const kind = classify(error);
  if (kind === undefined) return error;
  const raw = reasonOf(error);
  const reason = target.scrub(raw);
  // A cause that quoted the password is left out rather than handed to a logger that prints causes.
  return new RoundsError('ROUNDS_STORE_UNAVAILABLE', `${doing} the PostgreSQL store at ${target.display}: ${reason}`, {
    retryable: kind !== 'misconfigured',
    ...(reason === raw ? { cause: error } : {}),
  });
}
