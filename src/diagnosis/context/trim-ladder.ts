/**
 * @module The order in which evidence is given up to fit a token budget: least useful first. Each rung returns
 * the tighter state and says, in words, what it removed from this bundle; rungs that remove nothing are skipped.
 * Pure.
 */
import type { EvidenceBundle } from './evidence-bundle.js';
import type { TrimState } from './prompt-sections.js';

export interface TrimRung {
  /** The tighter state and what it removed, or undefined when it would remove nothing from this bundle. */
  apply(state: TrimState, bundle: EvidenceBundle): { state: TrimState; removed: string } | undefined;
}

const framesOf = (bundle: EvidenceBundle, from: number, to: number): number =>
  bundle.samples.slice(from, to).reduce((n, s) => n + s.exceptions.reduce((m, e) => m + e.frames.length, 0), 0);

/** The trace trees the prompt shows under `state`: those of the samples still shown. */
const shownTraces = (bundle: EvidenceBundle, state: TrimState): EvidenceBundle['traces'] => {
  const traceIds = new Set(bundle.samples.slice(0, state.maxSamples).map((s) => s.traceId));
  return bundle.traces.filter((t) => traceIds.has(t.traceId)).slice(0, state.maxTraces);
};

const traceSpans = (bundle: EvidenceBundle, state: TrimState, siblings: number, children: number): number =>
  shownTraces(bundle, state).reduce((n, tree) => {
    const s = tree.nodes.filter((node) => node.role === 'sibling').length;
    const c = tree.nodes.filter((node) => node.role === 'child').length;
    return (
      n +
      Math.max(0, Math.min(s, state.traceSiblings) - siblings) +
      Math.max(0, Math.min(c, state.traceChildren) - children)
    );
  }, 0);

function limitList(
  field: 'contrastEntries' | 'maxSamples' | 'maxLogs' | 'maxSimilar' | 'maxUnresolved' | 'maxSnippets' | 'maxTraces',
  to: number,
  count: (bundle: EvidenceBundle, state: TrimState) => number,
  noun: string,
): TrimRung {
  return {
    apply(state, bundle) {
      const shown = Math.min(count(bundle, state), state[field]);
      if (shown <= to) return undefined;
      return { state: { ...state, [field]: to }, removed: `${shown - to} ${noun}` };
    },
  };
}

function traceLimit(to: number): TrimRung {
  return {
    apply(state, bundle) {
      const removed = traceSpans(bundle, state, to, to);
      if (removed === 0) return undefined;
      return {
        state: { ...state, traceSiblings: to, traceChildren: to },
        removed: `${removed} sibling/child span(s) from the trace trees (keeping ${to} of each per trace, errors first)`,
      };
    },
  };
}

function codeRadius(to: number): TrimRung {
  return {
    apply(state, bundle) {
      const widest = Math.max(0, ...bundle.code.map((s) => s.lines.length));
      if (bundle.code.length === 0 || state.codeRadius <= to || widest <= 2 * to + 1) return undefined;
      return {
        state: { ...state, codeRadius: to },
        removed: `code lines farther than ${to} lines from a frame's line`,
      };
    },
  };
}

function textLimit(to: number): TrimRung {
  return {
    apply(state) {
      if (state.maxTextChars <= to) return undefined;
      return {
        state: { ...state, maxTextChars: to },
        removed: `messages, log lines and unparsed stack traces cut to about ${to} characters`,
      };
    },
  };
}

/** Least useful first: repetition (older samples' frames), weak signals, context far from the fault, then volume. */
export const TRIM_LADDER: readonly TrimRung[] = [
  {
    apply(state, bundle) {
      const removed = framesOf(bundle, 1, state.maxSamples);
      if (!state.framesOfOlderSamples || removed === 0) return undefined;
      return {
        state: { ...state, framesOfOlderSamples: false },
        removed: `${removed} parsed frame(s) of the older samples (the newest sample keeps its frames)`,
      };
    },
  },
  limitList('contrastEntries', 3, (b) => b.attributeContrast.entries.length, 'weaker attribute contrast(s)'),
  traceLimit(3),
  {
    apply(state, bundle) {
      const newest = bundle.samples[0];
      const removed = (newest?.exceptions ?? []).reduce(
        (n, e) => n + e.frames.filter((f, i) => !f.inApp && i !== e.frames.length - 1).length,
        0,
      );
      if (!state.libraryFramesOfNewest || removed === 0) return undefined;
      return {
        state: { ...state, libraryFramesOfNewest: false },
        removed: `${removed} library frame(s) of the newest sample (its in-app frames and innermost frame are kept)`,
      };
    },
  },
  limitList('maxLogs', 10, (b) => b.logs.length, 'correlated log line(s)'),
  codeRadius(10),
  traceLimit(0),
  limitList('maxSamples', 2, (b) => b.samples.length, 'older sample(s) and their traces'),
  codeRadius(5),
  limitList('maxSimilar', 2, (b) => b.similar.length, 'similar signature(s) ranked lower'),
  limitList('maxLogs', 0, (b) => b.logs.length, 'correlated log line(s)'),
  limitList('maxUnresolved', 5, (b) => b.unresolvedFrames.length, 'unresolved frame(s) from the list'),
  limitList('maxSamples', 1, (b) => b.samples.length, 'older sample(s) and their traces'),
  limitList('maxSnippets', 3, (b) => b.code.length, 'code snippet(s) of outer frames'),
  limitList('maxTraces', 0, (b, s) => shownTraces(b, s).length, 'trace tree(s)'),
  limitList('maxSimilar', 0, (b) => b.similar.length, 'similar signature(s)'),
  codeRadius(2),
  textLimit(400),
  limitList('contrastEntries', 0, (b) => b.attributeContrast.entries.length, 'attribute contrast(s)'),
  limitList('maxSnippets', 1, (b) => b.code.length, 'code snippet(s) of outer frames'),
  limitList('maxUnresolved', 0, (b) => b.unresolvedFrames.length, 'unresolved frame(s) from the list'),
  textLimit(120),
];
