/** @module What the GitHub notifier writes: the issue title, the issue body (kept current) and its comments. */
import type { ErrorEvent, Signature } from '../../domain/index.js';
import { codeList, iso, renderSections, type TraceUrl } from '../report.js';
import { renderSafeText } from '../safe-text.js';

const MAX_TITLE = 256;
/** GitHub rejects bodies over 65536 characters; leave room for the footer. */
const MAX_BODY = 60_000;

/**
 * The hidden marker that ties an issue to its signature. It is how a restart finds an issue whose number never
 * reached the store (see notifier.ts). It counts only as the first line of a body: telemetry text quoted further
 * down (inside a code span, `<` stays literal) could contain the same characters.
 */
export function signatureMarker(signatureId: string): string {
  return `<!-- rounds-signature: ${signatureId} -->`;
}

export function hasSignatureMarker(body: string | null | undefined, signatureId: string): boolean {
  return body?.trimStart().startsWith(signatureMarker(signatureId)) ?? false;
}

/** `[rounds] <ErrorType>: <messageTemplate>`, one line, at most 256 characters (GitHub's limit). */
export function renderTitle(signature: Signature): string {
  const title = renderSafeText(`[rounds] ${signature.errorType}: ${signature.messageTemplate}`, 'plain');
  const chars = Array.from(title); // by code point, so an emoji or CJK character is never cut in half
  return chars.length <= MAX_TITLE ? title : `${chars.slice(0, MAX_TITLE - 1).join('')}…`;
}

export interface BodyInput {
  readonly signature: Signature;
  readonly samples?: readonly ErrorEvent[] | undefined;
  readonly traceUrl?: TraceUrl | undefined;
  readonly updatedAt: number;
}

export function renderBody(input: BodyInput): string {
  const { signature } = input;
  let sections = renderSections(input);
  if (sections.length > MAX_BODY) {
    sections = `${sections.slice(0, sections.lastIndexOf('\n', MAX_BODY))}\n\n_…truncated to fit GitHub's size limit._\n`;
  }
  return [
    signatureMarker(signature.id),
    `Rounds groups errors into signatures; this issue tracks ${renderSafeText(signature.id, 'code')} and is updated in place as it recurs, regresses or is resolved.`,
    '',
    sections,
    '---',
    `_Last updated by Rounds at ${iso(input.updatedAt)}. Keep the hidden \`rounds-signature\` marker at the top of this description: it is how Rounds recognises this issue._`,
    '',
  ].join('\n');
}

export function renderRegressionComment(signature: Signature, samples: readonly ErrorEvent[] | undefined): string {
  const traces = (samples ?? []).flatMap((s) => (s.traceId === undefined ? [] : [s.traceId])).slice(0, 5);
  return [
    `**Regression:** ${renderSafeText(signature.id, 'code')} was seen again at ${iso(signature.lastSeen)} after it had been resolved; reopening.`,
    '',
    `- **Occurrences:** ${signature.occurrenceCount}`,
    `- **Affected versions:** ${codeList(signature.versions)}`,
    `- **Environments:** ${codeList(signature.environments)}`,
    ...(traces.length > 0 ? [`- **Recent traces:** ${codeList(traces)}`] : []),
    '',
  ].join('\n');
}

export function renderResolvedComment(signature: Signature): string {
  return [
    `**Resolved** in Rounds after ${signature.occurrenceCount} occurrences (last seen ${iso(signature.lastSeen)}); closing.`,
    '',
    'Rounds reopens this issue if the error comes back.',
    '',
  ].join('\n');
}
