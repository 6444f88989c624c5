/**
 * @module The citation check: every file:line a diagnosis cites must exist in the codebase, and every span or trace
 * id must be one Rounds saw. A diagnosis with citations that cannot be verified is lowered one confidence level and
 * says which ones, so a confident-sounding invention does not pass as fact.
 */
import { type Diagnosis, lowerConfidence } from '../domain/index.js';
import type { CodebaseAccess } from './context/code-resolution.js';
import { framePathOf } from './context/frame-path.js';
import { matchFramePath } from './context/path-match.js';
import { readInsideRoot } from './context/read-inside-root.js';

export interface CitationSources {
  /** The monitored codebase; without it, file:line citations count as unverifiable. */
  readonly codebase?: CodebaseAccess;
  /** Trace and span ids present in the evidence (samples and their trace snapshots), lower-case hex. */
  readonly knownIds: ReadonlySet<string>;
}

// `src/app/orders.py:42`, `/app/src/x.ts:10:5`, `x.go:12-20`, `pkg/x.rb#L7`; a path must have an extension.
const FILE_LINE = /(?<path>[\w./\\@+-]*[\w-]\.[A-Za-z][\w]{0,9})(?::|#L)(?<line>\d{1,7})\b/g;
const ID_REF = /\b(?<kind>span|trace)(?:[_ ]?id)?[:=\s]\s*(?<id>[0-9a-f]{16}|[0-9a-f]{32})\b/gi;
const MAX_FILE_BYTES = 2 * 1024 * 1024;

interface Citation {
  readonly text: string;
  verify(): Promise<boolean>;
}

export async function checkCitations(diagnosis: Diagnosis, sources: CitationSources): Promise<Diagnosis> {
  const citations = new Map<string, Citation>();
  const texts = [
    diagnosis.rootCause,
    diagnosis.suggestedFix,
    ...diagnosis.evidence.flatMap((e) => [e.description, e.reference ?? '']),
  ];
  for (const text of texts) {
    for (const match of text.matchAll(FILE_LINE)) {
      const path = match.groups?.path ?? '';
      const line = Number(match.groups?.line);
      // A URL or a version string is not a file citation.
      const before = text.slice(Math.max(0, (match.index ?? 0) - 12), match.index);
      if (match[0].startsWith('//') || /[a-z][\w+.-]*:\/*$/i.test(before)) continue;
      citations.set(match[0], { text: match[0], verify: () => fileLineExists(path, line, sources.codebase) });
    }
    for (const match of text.matchAll(ID_REF)) {
      const id = (match.groups?.id ?? '').toLowerCase();
      citations.set(match[0], { text: match[0], verify: async () => sources.knownIds.has(id) });
    }
  }
  const unverified: string[] = [];
  for (const citation of citations.values()) if (!(await citation.verify())) unverified.push(citation.text);
  const checked = { checked: citations.size, unverified };
  if (unverified.length === 0) return { ...diagnosis, citations: checked };
  return {
    ...diagnosis,
    confidence: lowerConfidence(diagnosis.confidence),
    citations: checked,
    notes: [
      ...(diagnosis.notes ?? []),
      `${unverified.length} of ${citations.size} citations could not be verified (${unverified.slice(0, 5).join(', ')}); confidence lowered from ${diagnosis.confidence}`,
    ],
  };
}

async function fileLineExists(path: string, line: number, codebase: CodebaseAccess | undefined): Promise<boolean> {
  if (codebase === undefined || line < 1) return false;
  const framePath = framePathOf({ file: path });
  if (!framePath.ok) return false;
  const name = framePath.path.segments.at(-1) ?? '';
  const match = matchFramePath(framePath.path, codebase.index.filesNamed(name));
  const candidates = match.kind === 'match' ? [match.relativePath] : match.kind === 'ambiguous' ? match.candidates : [];
  for (const candidate of candidates) {
    const read = await readInsideRoot(codebase.reader, codebase.index.root, candidate, MAX_FILE_BYTES);
    if (read.ok && read.text.split('\n').length >= line) return true;
  }
  return false;
}
