/** @module The webhook HTTP server: koa, JSON errors for everything, API-key auth, bounded diagnoses, clean stop. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { RoundsError } from '../domain/index.js';
import type { Fingerprinter } from '../fingerprint/index.js';
import type { Logger } from '../observability/logger.js';
import { apiKeyCheck } from './auth.js';
import { DiagnosisQueue } from './diagnosis-queue.js';
import { errorBody, HttpError } from './http-error.js';
import {
  getHealth,
  getSignature,
  postDiagnose,
  type RouteDeps,
  type WebhookApp,
  type WebhookContext,
  type WebhookState,
} from './routes.js';

export interface WebhookServerOptions {
  readonly app: WebhookApp;
  /** The app's fingerprinter configuration (createFingerprinter), to map stored samples to their signatures. */
  readonly fingerprinter: Pick<Fingerprinter, 'fingerprint'>;
  readonly logger: Logger;
  /** WEBHOOK_API_KEY. */
  readonly apiKey?: string;
  /** WEBHOOK_REQUIRE_AUTH. */
  readonly requireAuth: boolean;
  /** Diagnoses run at once (DIAGNOSIS_CONCURRENCY). */
  readonly concurrency: number;
  /** Diagnoses waiting behind the running ones before new requests get 429. Default 16. */
  readonly maxQueued?: number;
  /** Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Retry-After of a 429. Default 30. */
  readonly retryAfterSeconds?: number;
  /** How long /healthz waits for the store. Default 2000. */
  readonly healthTimeoutMs?: number;
}

export interface ShutdownOptions {
  /** How long running diagnoses and open requests may take before the app is stopped under them. */
  readonly graceMs: number;
  /** Stops the app: aborts diagnoses still running (their claims are released) and closes the store. */
  readonly stopApp: () => Promise<void>;
}

const MIB = 1024 * 1024;
/** After the app stopped, time for the last answers (503s of aborted diagnoses) to be written. */
const FLUSH_MS = 1000;

type Route = (ctx: WebhookContext, deps: RouteDeps, id: string) => Promise<void>;

interface RouteMatch {
  readonly methods: Readonly<Record<string, Route>>;
  readonly id: string;
  readonly open: boolean;
}

const SIGNATURE_PATH = /^\/signatures\/([^/]+)$/;

/** The route table: exact paths; /healthz is the only one without auth (orchestrators probe it bare). */
function match(path: string): RouteMatch | undefined {
  if (path === '/healthz') return { methods: { GET: getHealth, HEAD: getHealth }, id: '', open: true };
  if (path === '/diagnose') return { methods: { POST: postDiagnose }, id: '', open: false };
  const signature = SIGNATURE_PATH.exec(path);
  if (signature?.[1] !== undefined) {
    return { methods: { GET: getSignature, HEAD: getSignature }, id: signature[1], open: false };
  }
  return undefined;
}

export class WebhookServer {
  readonly queue: DiagnosisQueue;
  private readonly koa = new Koa<WebhookState>();
  private readonly http: http.Server;
  private readonly logger: Logger;
  private closing = false;
  private bound: { host: string; port: number } | undefined;

  constructor(options: WebhookServerOptions) {
    this.logger = options.logger.child({ component: 'webhook' });
    this.queue = new DiagnosisQueue({
      diagnose: (id) => options.app.diagnoseNow(id),
      concurrency: Math.max(1, options.concurrency),
      maxQueued: options.maxQueued ?? 16,
      logger: this.logger,
    });
    const deps: RouteDeps = {
      app: options.app,
      fingerprinter: options.fingerprinter,
      queue: this.queue,
      maxBodyBytes: options.maxBodyBytes ?? MIB,
      retryAfterSeconds: options.retryAfterSeconds ?? 30,
      healthTimeoutMs: options.healthTimeoutMs ?? 2000,
      closing: () => this.closing,
    };
    const check = apiKeyCheck({ apiKey: options.apiKey, required: options.requireAuth });

    // Koa's own error printing is replaced by the handler below; what still reaches here is a broken socket.
    this.koa.silent = true;
    this.koa.on('error', (error: unknown) => this.logger.debug({ err: error }, 'response could not be written'));
    this.koa.use(async (ctx, next) => this.answerErrors(ctx, next));
    this.koa.use(async (ctx) => {
      const route = match(ctx.path);
      if (route === undefined) throw new HttpError(404, 'not_found', `no route ${ctx.method} ${ctx.path}`);
      const handler = route.methods[ctx.method];
      if (handler === undefined) {
        const allowed = Object.keys(route.methods).join(', ');
        throw new HttpError(405, 'method_not_allowed', `${ctx.path} takes ${allowed}`, { Allow: allowed });
      }
      if (!route.open) {
        const refused = check(ctx.get('x-api-key') || undefined);
        if (refused !== undefined) {
          // Never the key itself: only that it was wrong or missing.
          this.logger.warn({ path: ctx.path, remote: ctx.request.ip, why: refused }, 'webhook request refused');
          throw new HttpError(401, 'unauthorized', refused, { 'WWW-Authenticate': 'X-API-Key' });
        }
      }
      await handler(ctx, deps, route.id);
    });

    this.http = http.createServer(this.koa.callback());
    // A slow client cannot hold a connection open forever while sending its body.
    this.http.requestTimeout = 30_000;
    this.http.headersTimeout = 10_000;
  }

  /** Where it listens, once listening. */
  get address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /** Resolves with the bound address (port 0 picks a free port); rejects (EADDRINUSE, EACCES) naming host:port. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.http.off('listening', onListening);
        reject(new Error(`webhook could not listen on ${host}:${port}: ${error.message}`, { cause: error }));
      };
      const onListening = (): void => {
        this.http.off('error', onError);
        const address = this.http.address() as AddressInfo;
        this.bound = { host: address.address, port: address.port };
        resolve(this.bound);
      };
      this.http.once('error', onError);
      this.http.once('listening', onListening);
      this.http.listen(port, host);
    });
  }

  /**
   * Stops accepting, gives running diagnoses and open requests up to `graceMs`, then stops the app (which aborts
   * what still runs and releases those claims), lets the last answers go out and closes what is left.
   */
  async shutdown(options: ShutdownOptions): Promise<void> {
    this.closing = true;
    const closed = this.http.listening
      ? new Promise<void>((resolve) => this.http.close(() => resolve()))
      : Promise.resolve();
    // Keep-alive sockets with no request in flight would otherwise hold close() open until they time out.
    this.http.closeIdleConnections();
    const [drained] = await Promise.all([this.queue.drain(options.graceMs), within(closed, options.graceMs)]);
    if (!drained) this.logger.warn({ graceMs: options.graceMs }, 'diagnoses still running at shutdown are aborted');
    try {
      await options.stopApp();
    } finally {
      if (!(await within(closed, FLUSH_MS))) this.http.closeAllConnections();
      await closed;
    }
  }

  private async answerErrors(ctx: WebhookContext, next: () => Promise<void>): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } catch (error) {
      const known = toHttpError(error);
      if (known.status >= 500) this.logger.error({ err: error, path: ctx.path }, 'webhook request failed');
      ctx.status = known.status;
      ctx.set(known.headers);
      ctx.body = errorBody(known.code, known.message);
    }
    // While stopping, every answer closes its connection so the shutdown is not held open by keep-alive.
    if (this.closing) ctx.set('Connection', 'close');
    const line = {
      method: ctx.method,
      path: ctx.path,
      status: ctx.status,
      ms: Math.round(performance.now() - started),
      ...(ctx.state.signatureId !== undefined ? { signatureId: ctx.state.signatureId } : {}),
    };
    // Probes every few seconds would drown the log.
    if (ctx.path === '/healthz' && ctx.status === 200) this.logger.debug(line, 'webhook request');
    else this.logger.info(line, 'webhook request');
  }
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof RoundsError) {
    if (error.code === 'ROUNDS_NOT_FOUND') return new HttpError(404, 'signature_not_found', error.message);
    if (error.code === 'ROUNDS_ILLEGAL_TRANSITION') return new HttpError(409, 'refused', error.message);
    if (error.code === 'ROUNDS_STORE_UNAVAILABLE' || error.retryable) {
      return new HttpError(503, 'unavailable', 'the signature store is unavailable; try again', { 'Retry-After': '5' });
    }
  }
  // The details are in the log; the caller gets no internals.
  return new HttpError(500, 'internal', 'internal error');
}

/** True when `promise` settled within `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
