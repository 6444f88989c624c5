/**
 * @module Which signature a webhook means. In order: its signature_id; the error it carries (recorded first, so
 * the diagnosis sees it); a stored sample in its trace; the most recently seen signature of its service with its
 * error type.
 */
import type { ErrorEvent, Signature } from '../domain/index.js';
import { signatureIdFor } from '../domain/index.js';
import type { Fingerprinter } from '../fingerprint/index.js';
import type { EventSink, SignatureStore } from '../ports/index.js';
import type { DiagnoseRequest } from './diagnose-request.js';
import { HttpError } from './http-error.js';
import { webhookEvent } from './webhook-event.js';

export type MatchedBy = 'signature_id' | 'error' | 'trace_id' | 'service_error_type';

export interface Found {
  readonly signature: Signature;
  readonly matchedBy: MatchedBy;
  /** On the `error` path: whether this request's error was counted (false for a retried webhook). */
  readonly counted?: boolean;
}

export interface LookupDeps {
  readonly store: Pick<SignatureStore, 'getSignature' | 'listSamplesInTraces' | 'listSignatures'>;
  readonly sink: Pick<EventSink, 'ingest'>;
  /** The app's fingerprinter (same configuration), to map a stored sample back to its signature. */
  readonly fingerprinter: Pick<Fingerprinter, 'fingerprint'>;
  readonly now?: () => number;
}

/** Samples of one trace read at most; a trace with more errors than this is a storm, and the newest suffice. */
const TRACE_SAMPLES = 50;
/** Signatures of one service scanned for the error type, newest first. */
const SERVICE_PAGE = 200;
const SERVICE_PAGES = 10;

/** The signature, or a 404 that says what was searched. */
export async function findSignature(request: DiagnoseRequest, deps: LookupDeps): Promise<Found> {
  if (request.signatureId !== undefined) {
    const signature = await deps.store.getSignature(request.signatureId);
    if (signature === undefined) {
      throw new HttpError(404, 'signature_not_found', `no signature with id ${request.signatureId}`);
    }
    return { signature, matchedBy: 'signature_id' };
  }
  if (request.message !== undefined || request.stackTrace !== undefined) return recordError(request, deps);

  const searched: string[] = [];
  if (request.traceId !== undefined) {
    const signature = await byTrace(request, deps);
    if (signature !== undefined) return { signature, matchedBy: 'trace_id' };
    searched.push(`no stored sample in trace ${request.traceId}`);
  }
  if (request.service !== undefined && request.errorType !== undefined) {
    const signature = await byServiceAndType(request.service, request.errorType, deps);
    if (signature !== undefined) return { signature, matchedBy: 'service_error_type' };
    searched.push(`no signature of service ${request.service} with error type ${request.errorType}`);
  } else if (request.service !== undefined || request.errorType !== undefined) {
    searched.push('service and error_type are only searched together (send both)');
  }
  throw new HttpError(
    404,
    'signature_not_found',
    `no signature found: ${searched.join('; ')}. Send message or stack_trace (with service) to record the error`,
  );
}

async function recordError(request: DiagnoseRequest, deps: LookupDeps): Promise<Found> {
  const event = webhookEvent(request, (deps.now ?? Date.now)());
  const summary = await deps.sink.ingest([event]);
  const failure = summary.failed[0];
  if (failure !== undefined)
    throw new HttpError(400, 'invalid_request', `the error cannot be recorded: ${failure.reason}`);
  // A retried webhook is a duplicate and names no signature; the fingerprint does, as it did the first time.
  const id = summary.new[0] ?? summary.updated[0] ?? idOf(event, deps);
  const signature = id === undefined ? undefined : await deps.store.getSignature(id);
  if (signature === undefined) {
    throw new HttpError(500, 'internal', 'the error was recorded but its signature could not be read back');
  }
  return { signature, matchedBy: 'error', counted: summary.duplicates === 0 };
}

async function byTrace(request: DiagnoseRequest, deps: LookupDeps): Promise<Signature | undefined> {
  const given = request.traceId ?? '';
  // OTLP trace ids are stored as lowercase hex; alerting tools sometimes print them in capitals.
  const ids = [...new Set([given, given.toLowerCase()])];
  const samples = await deps.store.listSamplesInTraces(ids, TRACE_SAMPLES);
  // Several errors can share a trace: the one the alert names first, then the newest.
  const ranked = [...samples.filter((s) => matches(s, request)), ...samples.filter((s) => !matches(s, request))];
  const tried = new Set<string>();
  for (const sample of ranked) {
    const id = idOf(sample, deps);
    if (id === undefined || tried.has(id)) continue;
    tried.add(id);
    const signature = await deps.store.getSignature(id);
    if (signature !== undefined) return signature;
  }
  return undefined;
}

function matches(sample: ErrorEvent, request: DiagnoseRequest): boolean {
  return (
    (request.service === undefined || sample.service === request.service) &&
    (request.errorType === undefined || sample.errorType === request.errorType)
  );
}

async function byServiceAndType(service: string, errorType: string, deps: LookupDeps): Promise<Signature | undefined> {
  for (let page = 0; page < SERVICE_PAGES; page++) {
    const signatures = await deps.store.listSignatures({
      service,
      orderBy: 'last_seen',
      limit: SERVICE_PAGE,
      offset: page * SERVICE_PAGE,
    });
    const hit = signatures.find((s) => s.errorType === errorType);
    if (hit !== undefined) return hit;
    if (signatures.length < SERVICE_PAGE) return undefined;
  }
  return undefined;
}

/** The id the pipeline gave this event's signature: the same fingerprinter configuration gives the same hash. */
function idOf(event: ErrorEvent, deps: LookupDeps): string | undefined {
  try {
    return signatureIdFor(deps.fingerprinter.fingerprint(event).hash);
  } catch {
    // A sample the current fingerprinter cannot handle simply does not match.
    return undefined;
  }
}
