/** @module The handlers: `POST /diagnose`, `GET /signatures/:id`, `GET /healthz`. */
import type { ParameterizedContext } from 'koa';
import type { RoundsApp } from '../app.js';
import type { Signature } from '../domain/index.js';
import type { Fingerprinter } from '../fingerprint/index.js';
import { parseDiagnoseRequest, parseWait } from './diagnose-request.js';
import type { DiagnosisQueue, DiagnosisResult } from './diagnosis-queue.js';
import { findSignature } from './find-signature.js';
import { errorBody, HttpError } from './http-error.js';
import { readJsonBody } from './read-json.js';

/** What the server needs of the app: the store, the ingest pipeline and on-request diagnoses. */
export type WebhookApp = Pick<RoundsApp, 'store' | 'pipeline' | 'diagnoseNow'>;

export interface WebhookState {
  /** The signature the request was about, for the access log. */
  signatureId?: string;
}

export type WebhookContext = ParameterizedContext<WebhookState>;

export interface RouteDeps {
  readonly app: WebhookApp;
  readonly fingerprinter: Pick<Fingerprinter, 'fingerprint'>;
  readonly queue: DiagnosisQueue;
  readonly maxBodyBytes: number;
  readonly retryAfterSeconds: number;
  readonly healthTimeoutMs: number;
  readonly closing: () => boolean;
}

export function statusUrl(signatureId: string): string {
  return `/signatures/${encodeURIComponent(signatureId)}`;
}

export async function postDiagnose(ctx: WebhookContext, deps: RouteDeps): Promise<void> {
  const wait = parseWait(ctx.query.wait);
  const request = parseDiagnoseRequest(await readJsonBody(ctx.req, deps.maxBodyBytes));
  const { store, pipeline } = deps.app;
  const found = await findSignature(request, { store, sink: pipeline, fingerprinter: deps.fingerprinter });
  const { signature } = found;
  ctx.state.signatureId = signature.id;
  refuseByLifecycle(signature);

  const submitted = deps.queue.submit(signature.id);
  if (!submitted.accepted) {
    if (submitted.reason === 'closed') throw shuttingDown();
    throw new HttpError(
      429,
      'too_many_diagnoses',
      'too many diagnoses are running or waiting; try again later (the error itself, if sent, is already recorded)',
      { 'Retry-After': String(deps.retryAfterSeconds) },
    );
  }
  const url = statusUrl(signature.id);
  if (!wait) {
    ctx.status = 202;
    ctx.set('Location', url);
    ctx.body = {
      signature_id: signature.id,
      status: 'diagnosing',
      status_url: url,
      matched_by: found.matchedBy,
      ...(found.counted !== undefined ? { counted: found.counted } : {}),
    };
    return;
  }
  answerResult(ctx, await submitted.done, deps);
}

export async function getSignature(ctx: WebhookContext, deps: RouteDeps, rawId: string): Promise<void> {
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    throw new HttpError(400, 'invalid_request', 'the signature id in the path is not valid URL encoding');
  }
  ctx.state.signatureId = id;
  const signature = await deps.app.store.getSignature(id);
  if (signature === undefined) throw new HttpError(404, 'signature_not_found', `no signature with id ${id}`);
  ctx.body = signature;
}

export async function getHealth(ctx: WebhookContext, deps: RouteDeps): Promise<void> {
  if (deps.closing()) {
    ctx.status = 503;
    ctx.body = { status: 'stopping' };
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the store did not answer in time')), deps.healthTimeoutMs);
    });
    await Promise.race([deps.app.store.countSignatures(), late]);
    ctx.body = { status: 'ok' };
  } catch (error) {
    ctx.status = 503;
    ctx.body = { status: 'unavailable', ...errorBody('store_unavailable', (error as Error).message) };
  } finally {
    clearTimeout(timer);
  }
}

/** Checked before answering 202, so a caller learns at once that the diagnosis cannot happen. */
function refuseByLifecycle(signature: Signature): void {
  if (signature.status === 'muted') {
    throw new HttpError(409, 'refused', `${signature.id} is muted; unmute it (rounds unmute ${signature.id}) first`);
  }
  if (signature.status === 'resolved') {
    throw new HttpError(409, 'refused', `${signature.id} is resolved; it is diagnosed again when it regresses`);
  }
}

function answerResult(ctx: WebhookContext, result: DiagnosisResult, deps: RouteDeps): void {
  switch (result.kind) {
    case 'diagnosed':
      ctx.status = 200;
      ctx.body = result.signature;
      return;
    case 'busy':
      throw new HttpError(409, 'diagnosis_in_progress', result.message);
    case 'refused':
      throw new HttpError(409, 'refused', result.message);
    case 'not_found':
      throw new HttpError(404, 'signature_not_found', result.message);
    case 'cancelled':
      throw shuttingDown();
    case 'failed':
      // Aborted by the shutdown rather than failed: the claim was released and a retry elsewhere will do.
      if (deps.closing()) throw shuttingDown();
      throw new HttpError(502, 'diagnosis_failed', `the diagnosis failed: ${result.message}`);
  }
}

function shuttingDown(): HttpError {
  return new HttpError(503, 'shutting_down', 'Rounds is shutting down; send the request again later', {
    'Retry-After': '5',
  });
}
