/** @module The body of `POST /diagnose`: snake_case JSON validated with zod into a typed request. */
import { z } from 'zod';
import type { Attributes } from '../domain/index.js';
import { HttpError } from './http-error.js';

/** Alert templates often send "" for a field they have no value for: that means absent, not "match empty". */
const blankIsAbsent = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const text = (max: number) =>
  z.preprocess(blankIsAbsent, z.string().trim().max(max, `at most ${max} characters`).optional());

/** The text fields are kept verbatim (a stack trace's indentation matters), only bounded. */
const rawText = (max: number) =>
  z.preprocess(blankIsAbsent, z.string().max(max, `at most ${max} characters`).optional());

/** Largest time a JavaScript Date can hold. */
const MAX_TIME = 8.64e15;
const DIGITS = /^\d+$/;

const timestamp = z.preprocess(
  blankIsAbsent,
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const ms = typeof value === 'number' ? value : DIGITS.test(value.trim()) ? Number(value) : Date.parse(value);
      if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be an ISO 8601 time (2025-02-19T10:30:00Z) or milliseconds since the epoch',
        });
        return z.NEVER;
      }
      return Math.trunc(ms);
    })
    .optional(),
);

export const diagnoseBodySchema = z
  .object(
    {
      signature_id: text(64),
      trace_id: text(128),
      service: text(256),
      error_type: text(512),
      message: rawText(65_536),
      stack_trace: rawText(262_144),
      language: text(32),
      service_version: text(128),
      timestamp,
      attributes: z
        .record(z.string().max(256), z.json())
        .refine((value) => Object.keys(value).length <= 256, 'at most 256 attributes')
        .optional(),
    },
    { error: 'the body must be a JSON object' },
  )
  .superRefine((body, ctx) => {
    const recordable = body.message !== undefined || body.stack_trace !== undefined;
    if (recordable && body.service === undefined && body.signature_id === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['service'],
        message: 'is required to record an error (message or stack_trace)',
      });
    }
    const selects =
      body.signature_id !== undefined ||
      recordable ||
      body.trace_id !== undefined ||
      (body.service !== undefined && body.error_type !== undefined);
    if (!selects) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'nothing to look a signature up by: send signature_id, or message/stack_trace with service, or trace_id, or service with error_type',
      });
    }
  });

export interface DiagnoseRequest {
  readonly signatureId?: string;
  readonly traceId?: string;
  readonly service?: string;
  readonly errorType?: string;
  readonly message?: string;
  readonly stackTrace?: string;
  readonly language?: string;
  readonly serviceVersion?: string;
  /** Milliseconds since the epoch. */
  readonly timestamp?: number;
  readonly attributes?: Attributes;
}

/** The typed request, or a 400 that names every bad field. */
export function parseDiagnoseRequest(body: unknown): DiagnoseRequest {
  const parsed = diagnoseBodySchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      return field === '' ? issue.message : `${field}: ${issue.message}`;
    });
    throw new HttpError(400, 'invalid_request', problems.join('; '));
  }
  const b = parsed.data;
  return dropUndefined({
    signatureId: b.signature_id,
    traceId: b.trace_id,
    service: b.service,
    errorType: b.error_type,
    message: b.message,
    stackTrace: b.stack_trace,
    language: b.language,
    serviceVersion: b.service_version,
    timestamp: b.timestamp,
    attributes: b.attributes as Attributes | undefined,
  });
}

/** `?wait=true` (or 1) waits for the diagnosis; absent, false or 0 answers 202 at once. */
export function parseWait(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  const one = Array.isArray(value) ? value[value.length - 1] : value;
  const normal = one?.trim().toLowerCase() ?? '';
  if (normal === 'true' || normal === '1' || normal === '') return true;
  if (normal === 'false' || normal === '0') return false;
  throw new HttpError(400, 'invalid_request', 'wait must be true or false');
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
