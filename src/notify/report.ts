/**
 * @module The report sections the markdown file and the GitHub issue share: facts, occurrences, sample traces,
 * diagnosis and in-app frames. Every untrusted string goes through renderSafeText.
 */
import type { Diagnosis, ErrorEvent, Signature, StackFrame } from '../domain/index.js';
import type { NotificationKind } from '../ports/index.js';
import { redactText, renderSafeText } from './safe-text.js';

/** Turns a trace id into a link to the telemetry backend's trace view, when one is configured. */
export type TraceUrl = (traceId: string) => string | undefined;

export const HEADLINES: Readonly<Record<NotificationKind, string>> = {
  new_signature: 'New error signature',
  diagnosis: 'Diagnosis',
  regression: 'Regression',
  resolved: 'Resolved',
  update: 'Still occurring',
};

// Bounds keep a report readable and under GitHub's 65536-character body limit whatever the telemetry holds.
const MAX_FRAMES = 50;
const MAX_EVIDENCE = 20;
const MAX_TRACES = 10;
const MAX_LIST_VALUES = 30;
const MAX_VALUE_CHARS = 1000;
const MAX_PROSE_CHARS = 10_000;

export interface SectionsInput {
  readonly signature: Signature;
  readonly samples?: readonly ErrorEvent[] | undefined;
  readonly traceUrl?: TraceUrl | undefined;
}

/** Facts, occurrences, samples, diagnosis and frames, as markdown, each section under a `##` heading. */
export function renderSections({ signature, samples, traceUrl }: SectionsInput): string {
  return [
    ...facts(signature),
    ...occurrences(signature),
    ...sampleTraces(samples ?? [], traceUrl),
    ...diagnosisSection(signature.diagnosis),
    ...frameSection(signature.frames),
  ].join('\n');
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function codeList(values: readonly string[]): string {
  const shown = values.slice(0, MAX_LIST_VALUES).map((value) => renderSafeText(clip(value, 200), 'code'));
  const more = values.length > MAX_LIST_VALUES ? ` and ${values.length - MAX_LIST_VALUES} more` : '';
  return shown.length === 0 ? '_none recorded_' : `${shown.join(', ')}${more}`;
}

function facts(s: Signature): string[] {
  const rows: [string, string][] = [
    ['Signature', renderSafeText(s.id, 'cell')],
    ['Status', s.status],
    ['Error type', renderSafeText(s.errorType, 'cell')],
    ['Message template', renderSafeText(clip(s.messageTemplate), 'cell')],
    ['Service', renderSafeText(s.service, 'cell')],
    ['Language', s.language],
    ['Grouped by', `${s.strategy} (${renderSafeText(s.configId, 'cell')})`],
    ['Fingerprint', renderSafeText(s.fingerprint, 'cell')],
  ];
  if (s.tags.length > 0) rows.push(['Tags', codeList(s.tags).replace(/\|/g, '\\|')]);
  return ['## Signature', '', '| | |', '|---|---|', ...rows.map(([name, value]) => `| ${name} | ${value} |`), ''];
}

function occurrences(s: Signature): string[] {
  const firstVersion = s.firstVersion === undefined ? '' : ` (first seen in ${renderSafeText(s.firstVersion, 'code')})`;
  return [
    '## Occurrences',
    '',
    `- **Occurrences:** ${s.occurrenceCount}`,
    `- **First seen:** ${iso(s.firstSeen)}`,
    `- **Last seen:** ${iso(s.lastSeen)}`,
    `- **Services:** ${codeList(s.services)}`,
    `- **Affected versions:** ${codeList(s.versions)}${firstVersion}`,
    `- **Environments:** ${codeList(s.environments)}`,
    '',
  ];
}

function sampleTraces(samples: readonly ErrorEvent[], traceUrl: TraceUrl | undefined): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const sample of samples) {
    if (sample.traceId === undefined || seen.has(sample.traceId) || seen.size >= MAX_TRACES) continue;
    seen.add(sample.traceId);
    const url = traceUrl?.(sample.traceId);
    const link = url === undefined ? '' : ` ([open trace](${safeUrl(url)}))`;
    const where = [sample.service, sample.serviceVersion, sample.environment].filter(
      (v): v is string => v !== undefined,
    );
    lines.push(`- ${renderSafeText(sample.traceId, 'code')}${link} · ${codeList(where)} · ${iso(sample.timestamp)}`);
  }
  if (lines.length === 0) lines.push('_No sample with a trace id is attached to this report._');
  return ['## Sample traces', '', ...lines, ''];
}

function diagnosisSection(d: Diagnosis | undefined): string[] {
  if (d === undefined) return ['## Diagnosis', '', '_Not diagnosed yet._', ''];
  const evidence = d.evidence.slice(0, MAX_EVIDENCE).map((item) => {
    const ref = item.reference === undefined ? '' : ` (${renderSafeText(clip(item.reference), 'code')})`;
    return `- ${renderSafeText(clip(item.description), 'prose').replace(/\n/g, ' ')}${ref}`;
  });
  return [
    '## Diagnosis',
    '',
    `**Root cause** (confidence: ${d.confidence}):`,
    '',
    renderSafeText(clip(d.rootCause, MAX_PROSE_CHARS), 'prose'),
    '',
    '**Evidence:**',
    '',
    ...(evidence.length > 0 ? evidence : ['_none given_']),
    '',
    '**Suggested fix:**',
    '',
    renderSafeText(clip(d.suggestedFix, MAX_PROSE_CHARS), 'prose'),
    '',
    `Model ${renderSafeText(d.model, 'code')} (${d.engine}) · cost $${d.costUsd.toFixed(4)} · diagnosed ${iso(d.diagnosedAt)}`,
    '',
    ...citationLines(d),
  ];
}

/** What the citation check found and the engine's own caveats (budget fallback, trimmed evidence). */
function citationLines(d: Diagnosis): string[] {
  const lines: string[] = [];
  if (d.citations && d.citations.checked > 0) {
    const { checked, unverified } = d.citations;
    lines.push(
      unverified.length === 0
        ? `Citations: all ${checked} checked against the codebase and the telemetry.`
        : `Citations: ${unverified.length} of ${checked} could not be verified: ${codeList(unverified.slice(0, 10))}.`,
    );
  }
  for (const note of (d.notes ?? []).slice(0, 5))
    lines.push(`> ${renderSafeText(clip(note), 'prose').replace(/\n/g, ' ')}`);
  return lines.flatMap((line) => [line, '']);
}

function frameSection(frames: readonly StackFrame[]): string[] {
  const inApp = frames.filter((f) => f.inApp);
  if (inApp.length > 0) {
    return ['## In-app frames (innermost last)', '', ...numbered(inApp.slice(-MAX_FRAMES)), ''];
  }
  if (frames.length === 0) return ['## Frames', '', '_No stack frames were parsed for this signature._', ''];
  return ['## Frames (none marked in-app; innermost last)', '', ...numbered(frames.slice(-MAX_FRAMES)), ''];
}

function numbered(frames: readonly StackFrame[]): string[] {
  return frames.map((frame, i) => {
    const name = [frame.module, frame.function].filter(Boolean).join('.') || '<unknown>';
    const where =
      frame.file === undefined ? undefined : `${clip(frame.file)}${frame.line === undefined ? '' : `:${frame.line}`}`;
    const place = where === undefined ? '' : ` at ${renderSafeText(where, 'code')}`;
    return `${i + 1}. ${renderSafeText(clip(name), 'code')}${place}`;
  });
}

/** One value (a message, a version) never crowds out the rest of the report. */
export function clip(raw: string, max = MAX_VALUE_CHARS): string {
  // Redact before cutting: a token cut in half no longer matches any rule, and its first half would leak.
  const value = redactText(raw);
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}

/** The URL comes from configuration, but a trace id inside it must not break out of the markdown link. */
function safeUrl(url: string): string {
  return url.replace(/[\s()<>[\]]/g, (c) => encodeURIComponent(c));
}
