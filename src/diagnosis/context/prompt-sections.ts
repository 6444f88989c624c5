/**
 * @module Turns an EvidenceBundle into prompt sections under a trim state. Headings are Rounds' own words; every
 * piece of telemetry or code goes into a block's content, which the renderer redacts and fences. Pure.
 */
import type { StackFrame } from '../../domain/index.js';
import { describeContrast } from './attribute-contrast.js';
import type { CodeSnippet } from './code-resolution.js';
import type { EvidenceBundle } from './evidence-bundle.js';
import type { SampleEvidence } from './sample-evidence.js';
import { clipBlock, isoTime } from './text.js';
import { renderTraceTree } from './trace-tree.js';

/** How much of each part of the bundle the prompt shows; trimming lowers these, least useful first. */
export interface TrimState {
  readonly framesOfOlderSamples: boolean;
  /** Library frames of the newest sample (the innermost frame is always kept: it is where the error was raised). */
  readonly libraryFramesOfNewest: boolean;
  readonly contrastEntries: number;
  readonly traceSiblings: number;
  readonly traceChildren: number;
  readonly maxTraces: number;
  /** Lines shown each side of a frame's line; Infinity shows the whole snippet. */
  readonly codeRadius: number;
  readonly maxSnippets: number;
  readonly maxSamples: number;
  readonly maxLogs: number;
  readonly maxSimilar: number;
  readonly maxUnresolved: number;
  /** Messages, log bodies and unparsed stack traces are cut to this many characters. */
  readonly maxTextChars: number;
}

export const FULL: TrimState = {
  framesOfOlderSamples: true,
  libraryFramesOfNewest: true,
  contrastEntries: Number.POSITIVE_INFINITY,
  traceSiblings: Number.POSITIVE_INFINITY,
  traceChildren: Number.POSITIVE_INFINITY,
  maxTraces: Number.POSITIVE_INFINITY,
  codeRadius: Number.POSITIVE_INFINITY,
  maxSnippets: Number.POSITIVE_INFINITY,
  maxSamples: Number.POSITIVE_INFINITY,
  maxLogs: Number.POSITIVE_INFINITY,
  maxSimilar: Number.POSITIVE_INFINITY,
  maxUnresolved: Number.POSITIVE_INFINITY,
  maxTextChars: Number.POSITIVE_INFINITY,
};

export interface PromptBlock {
  readonly label: string;
  readonly content: string;
}

export interface PromptSection {
  readonly heading: string;
  readonly blocks: readonly PromptBlock[];
}

export function promptSections(bundle: EvidenceBundle, state: TrimState): PromptSection[] {
  const sections: PromptSection[] = [{ heading: `Signature ${bundle.signature.id}`, blocks: [signatureBlock(bundle)] }];
  const snippets = bundle.code.slice(0, state.maxSnippets);
  if (snippets.length > 0) {
    sections.push({
      heading: `Code around the stack frames (${snippets.length} snippet(s); ">" marks a frame's line)`,
      blocks: snippets.map((snippet, i) => ({
        label: `code ${i + 1}`,
        content: snippetText(snippet, state.codeRadius),
      })),
    });
  }
  const unresolved = bundle.unresolvedFrames.slice(0, state.maxUnresolved);
  if (unresolved.length > 0) {
    const more = bundle.unresolvedFrames.length - unresolved.length;
    sections.push({
      heading: `Frames that could not be resolved to code (${bundle.unresolvedFrames.length})`,
      blocks: [
        {
          label: 'unresolved frames',
          content: [
            ...unresolved.map((u) => {
              const candidates = u.candidates?.length ? ` [candidates: ${u.candidates.join(', ')}]` : '';
              return `- ${u.frame}: ${u.reason} (${u.detail})${candidates}`;
            }),
            ...(more > 0 ? [`… ${more} more`] : []),
          ].join('\n'),
        },
      ],
    });
  }
  const samples = bundle.samples.slice(0, state.maxSamples);
  if (samples.length > 0) {
    sections.push({
      heading: `Sample events (${samples.length} of ${bundle.samples.length}, newest first; frames innermost first)`,
      blocks: samples.map((sample, i) => ({
        label: `sample ${i + 1}`,
        content: sampleText(
          sample,
          i === 0 ? (state.libraryFramesOfNewest ? 'all' : 'in-app') : state.framesOfOlderSamples ? 'all' : 'none',
          state.maxTextChars,
        ),
      })),
    });
  }
  const keptTraceIds = new Set(samples.map((s) => s.traceId));
  const traces = bundle.traces.filter((t) => keptTraceIds.has(t.traceId)).slice(0, state.maxTraces);
  if (traces.length > 0) {
    sections.push({
      heading: 'Traces around the errors (">>" marks the span the error happened in)',
      blocks: traces.map((tree, i) => ({
        label: `trace ${i + 1}`,
        content: renderTraceTree(tree, { maxSiblings: state.traceSiblings, maxChildren: state.traceChildren }),
      })),
    });
  }
  const contrast = bundle.attributeContrast;
  const entries = contrast.entries.slice(0, state.contrastEntries);
  if (entries.length > 0 || contrast.notes.length > 0) {
    sections.push({
      heading: `Attribute values over-represented in this signature's events vs the operation's other spans`,
      blocks: [
        {
          label: 'attribute contrast',
          content: [
            ...entries.map((e) => `- ${describeContrast(e, contrast)}`),
            ...contrast.notes.map((note) => `(${note})`),
          ].join('\n'),
        },
      ],
    });
  }
  const logs = bundle.logs.slice(0, state.maxLogs);
  if (logs.length > 0) {
    sections.push({
      heading: `Correlated logs (${logs.length})`,
      blocks: [
        {
          label: 'logs',
          content: logs
            .map((log) => {
              const where = [log.service, log.traceId && `trace ${log.traceId}`, log.spanId && `span ${log.spanId}`]
                .filter(Boolean)
                .join(' ');
              return `${isoTime(log.timestamp)} ${log.severity ?? '-'} [${where}] (${log.correlation}) ${clip(log.body, state.maxTextChars)}`;
            })
            .join('\n'),
        },
      ],
    });
  }
  const similar = bundle.similar.slice(0, state.maxSimilar);
  if (similar.length > 0) {
    sections.push({
      heading: `Similar signatures and what their diagnoses concluded (${similar.length})`,
      blocks: similar.map((s, i) => ({
        label: `similar ${i + 1}`,
        content: [
          `${s.id} (${s.status}) in ${s.service}: ${s.errorType}: ${s.messageTemplate}`,
          `similar because: ${s.why}`,
          s.rootCause
            ? `past root cause (${s.confidence ?? 'unknown'} confidence): ${s.rootCause}`
            : 'no past diagnosis',
          ...(s.suggestedFix ? [`past suggested fix: ${s.suggestedFix}`] : []),
        ].join('\n'),
      })),
    });
  }
  if (bundle.notes.length > 0) {
    sections.push({
      heading: 'Notes on how the evidence was gathered',
      blocks: [{ label: 'notes', content: bundle.notes.map((n) => `- ${n}`).join('\n') }],
    });
  }
  return sections;
}

function signatureBlock(bundle: EvidenceBundle): PromptBlock {
  const s = bundle.signature;
  const services = bundle.services
    .map((sv) => (sv.versions.length > 0 ? `${sv.service} (${sv.versions.join(', ')})` : sv.service))
    .join('; ');
  return {
    label: 'signature',
    content: [
      `error type: ${s.errorType}`,
      `message template: ${s.messageTemplate}`,
      `language: ${s.language}; grouped by: ${s.strategy}`,
      `services (versions in samples): ${services}`,
      `all versions seen: ${s.versions.length > 0 ? s.versions.join(', ') : 'none reported'}`,
      `first seen: ${isoTime(bundle.firstSeen.at)}${bundle.firstSeen.version ? ` in version ${bundle.firstSeen.version}` : ''}`,
      `last seen: ${isoTime(s.lastSeen)}; occurrences: ${s.occurrenceCount}; status: ${s.status}`,
      `environments: ${s.environments.length > 0 ? s.environments.join(', ') : 'none reported'}`,
    ].join('\n'),
  };
}

function sampleText(sample: SampleEvidence, frames: 'all' | 'in-app' | 'none', maxTextChars: number): string {
  const lines = [
    `event ${sample.eventId} at ${isoTime(sample.timestamp)}`,
    `service: ${sample.service}${sample.serviceVersion ? ` ${sample.serviceVersion}` : ''}${sample.environment ? ` (${sample.environment})` : ''}${sample.operation ? `; operation: ${sample.operation}` : ''}`,
  ];
  if (sample.traceId) lines.push(`trace: ${sample.traceId}${sample.spanId ? ` span: ${sample.spanId}` : ''}`);
  lines.push(`error: ${sample.errorType}: ${clip(sample.message, maxTextChars)}`);
  sample.exceptions.forEach((exception, i) => {
    lines.push(
      `${i === 0 ? 'exception' : 'caused by / during'}: ${exception.type}: ${clip(exception.message, maxTextChars)}`,
    );
    if (frames === 'none') {
      lines.push(`  (${exception.frames.length} frame(s) left out)`);
      return;
    }
    const innermostFirst = [...exception.frames].reverse();
    const shown = frames === 'all' ? innermostFirst : innermostFirst.filter((f, j) => j === 0 || f.inApp);
    for (const frame of shown) lines.push(`  at ${frameText(frame)}`);
    const left = exception.omittedFrames + innermostFirst.length - shown.length;
    if (left > 0) lines.push(`  … ${left} ${frames === 'all' ? 'outer' : 'library or outer'} frame(s) left out`);
  });
  if (sample.unparsedStackTrace) {
    lines.push('stack trace (not parsed):', clipBlock(sample.unparsedStackTrace, maxTextChars * 4));
  }
  if (sample.attributes.length > 0)
    lines.push(`attributes: ${sample.attributes.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  return lines.join('\n');
}

function frameText(frame: StackFrame): string {
  const name = [frame.module, frame.function].filter(Boolean).join(' ') || '<anonymous>';
  const at = frame.file ? ` (${frame.file}${frame.line === undefined ? '' : `:${frame.line}`})` : '';
  return `${name}${at}${frame.inApp ? ' [in-app]' : ''}`;
}

function snippetText(snippet: CodeSnippet, radius: number): string {
  const width = String(snippet.lines.at(-1)?.number ?? 0).length;
  const near = (n: number): boolean =>
    snippet.focusLines.length === 0
      ? n - (snippet.lines[0]?.number ?? 1) <= 2 * radius
      : snippet.focusLines.some((focus) => Math.abs(n - focus) <= radius);
  const out = [
    `file: ${snippet.path} (${snippet.totalLines} lines)`,
    `frames: ${snippet.frames.join('; ')}`,
    ...snippet.notes.map((note) => `note: ${note}`),
  ];
  let gap = false;
  for (const line of snippet.lines) {
    if (!near(line.number)) {
      if (!gap) out.push(`${' '.repeat(width + 2)}…`);
      gap = true;
      continue;
    }
    gap = false;
    const mark = snippet.focusLines.includes(line.number) ? '>' : ' ';
    out.push(`${mark} ${String(line.number).padStart(width)} | ${line.text}`);
  }
  return out.join('\n');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}
