/**
 * @module The trace around an error, as a compact tree: the error span's ancestors, its siblings and its children,
 * each with service, name, duration, status and a few telling attributes. Bounded. Pure.
 */
import type { TraceSnapshot, TraceSpan } from '../../domain/index.js';
import { isIdentifierKey } from './attribute-keys.js';

export type TraceNodeRole = 'ancestor' | 'error' | 'sibling' | 'child';

export interface TraceTreeNode {
  readonly role: TraceNodeRole;
  readonly depth: number;
  readonly spanId: string;
  readonly service: string;
  readonly name: string;
  readonly durationMs: number;
  readonly status: 'error' | 'ok' | 'unset';
  readonly statusMessage?: string;
  readonly attributes: readonly (readonly [string, string])[];
  readonly startTimeUnixMs: number;
}

export interface TraceTree {
  readonly traceId: string;
  /** The span the error happened in, when the snapshot has it. */
  readonly errorSpanId?: string;
  readonly spanCount: number;
  /** Ancestors first (outermost at depth 0), then the error span's level and its children. */
  readonly nodes: readonly TraceTreeNode[];
  /** Spans that were left out at build time (beyond the options' caps). */
  readonly omittedSiblings: number;
  readonly omittedChildren: number;
  readonly omittedAncestors: number;
  readonly notes: readonly string[];
}

export interface TraceTreeOptions {
  readonly maxAncestors?: number;
  readonly maxSiblings?: number;
  readonly maxChildren?: number;
  readonly maxAttributesPerSpan?: number;
  readonly maxValueChars?: number;
}

/** Attributes that most often explain where a request went and how it failed, in the order they are shown. */
const TELLING_ATTRIBUTES = [
  'http.route',
  'http.request.method',
  'http.method',
  'http.response.status_code',
  'http.status_code',
  'url.path',
  'rpc.service',
  'rpc.method',
  'rpc.grpc.status_code',
  'db.system',
  'db.operation',
  'db.operation.name',
  'db.statement',
  'db.query.text',
  'messaging.system',
  'messaging.destination.name',
  'peer.service',
  'server.address',
  'exception.type',
  'error.type',
];

const DEFAULTS = { maxAncestors: 10, maxSiblings: 8, maxChildren: 8, maxAttributesPerSpan: 5, maxValueChars: 120 };

export function buildTraceTree(
  snapshot: TraceSnapshot,
  errorSpanId: string | undefined,
  options: TraceTreeOptions = {},
): TraceTree {
  const limits = { ...DEFAULTS, ...options };
  const byId = new Map<string, TraceSpan>();
  for (const span of snapshot.spans) if (!byId.has(span.spanId)) byId.set(span.spanId, span);
  const notes: string[] = [];
  let errorSpan = errorSpanId === undefined ? undefined : byId.get(errorSpanId);
  if (errorSpan === undefined) {
    errorSpan = [...byId.values()]
      .filter((s) => s.statusCode === 2)
      .sort((a, b) => a.startTimeUnixMs - b.startTimeUnixMs || a.spanId.localeCompare(b.spanId))[0];
    const why = errorSpanId === undefined ? 'the sample names no span' : `span ${errorSpanId} is not in the snapshot`;
    notes.push(
      errorSpan ? `${why}; showing the first span with an error status` : `${why} and no span has an error status`,
    );
  }
  if (errorSpan === undefined) {
    const roots = [...byId.values()].filter((s) => s.parentSpanId === undefined || !byId.has(s.parentSpanId));
    const shown = byStart(roots).slice(0, limits.maxSiblings);
    return {
      traceId: snapshot.traceId,
      spanCount: byId.size,
      nodes: shown.map((s) => nodeOf(s, 'sibling', 0, limits)),
      omittedSiblings: roots.length - shown.length,
      omittedChildren: 0,
      omittedAncestors: 0,
      notes,
    };
  }

  // Walk up with a visited set: a corrupt snapshot with a parent cycle must not loop.
  const ancestors: TraceSpan[] = [];
  const visited = new Set([errorSpan.spanId]);
  for (let parentId = errorSpan.parentSpanId; parentId !== undefined; ) {
    const parent = byId.get(parentId);
    if (parent === undefined) {
      notes.push(`the parent span ${parentId} was not captured`);
      break;
    }
    if (visited.has(parent.spanId)) {
      notes.push('the parent chain loops; stopped at the repeat');
      break;
    }
    visited.add(parent.spanId);
    ancestors.unshift(parent);
    parentId = parent.parentSpanId;
  }
  const omittedAncestors = Math.max(0, ancestors.length - limits.maxAncestors);
  const keptAncestors = ancestors.slice(omittedAncestors);

  const childrenOf = (id: string | undefined): TraceSpan[] =>
    [...byId.values()].filter((s) => s.parentSpanId === id && s.spanId !== errorSpan.spanId && !visited.has(s.spanId));
  const siblings = errorSpan.parentSpanId === undefined ? [] : childrenOf(errorSpan.parentSpanId);
  const children = childrenOf(errorSpan.spanId);
  const keptSiblings = mostTelling(siblings, limits.maxSiblings);
  const keptChildren = mostTelling(children, limits.maxChildren);

  const depth = keptAncestors.length;
  const nodes: TraceTreeNode[] = keptAncestors.map((s, i) => nodeOf(s, 'ancestor', i, limits));
  const level = byStart([errorSpan, ...keptSiblings]);
  for (const span of level) {
    if (span === errorSpan) {
      nodes.push(nodeOf(span, 'error', depth, limits));
      for (const child of byStart(keptChildren)) nodes.push(nodeOf(child, 'child', depth + 1, limits));
    } else nodes.push(nodeOf(span, 'sibling', depth, limits));
  }
  return {
    traceId: snapshot.traceId,
    errorSpanId: errorSpan.spanId,
    spanCount: byId.size,
    nodes,
    omittedSiblings: siblings.length - keptSiblings.length,
    omittedChildren: children.length - keptChildren.length,
    omittedAncestors,
    notes,
  };
}

export interface TraceRenderLimits {
  /** Fewer siblings/children than were built; used by prompt trimming. */
  readonly maxSiblings?: number;
  readonly maxChildren?: number;
}

/** One line per span, indented by depth; `>>` marks the error span. */
export function renderTraceTree(tree: TraceTree, limits: TraceRenderLimits = {}): string {
  const maxSiblings = limits.maxSiblings ?? Number.POSITIVE_INFINITY;
  const maxChildren = limits.maxChildren ?? Number.POSITIVE_INFINITY;
  const lines: string[] = [`trace ${tree.traceId} (${tree.spanCount} spans captured)`];
  if (tree.omittedAncestors > 0) lines.push(`… ${tree.omittedAncestors} outer ancestor span(s)`);
  const siblings = tree.nodes.filter((n) => n.role === 'sibling');
  const children = tree.nodes.filter((n) => n.role === 'child');
  const keptSiblings = new Set(mostTellingNodes(siblings, maxSiblings));
  const keptChildren = new Set(mostTellingNodes(children, maxChildren));
  for (const node of tree.nodes) {
    if (node.role === 'sibling' && !keptSiblings.has(node)) continue;
    if (node.role === 'child' && !keptChildren.has(node)) continue;
    lines.push(`${'  '.repeat(node.depth)}${node.role === 'error' ? '>> ' : ''}${describeNode(node)}`);
  }
  const errorDepth = tree.nodes.find((n) => n.role === 'error')?.depth ?? 0;
  const moreSiblings = tree.omittedSiblings + siblings.length - keptSiblings.size;
  const moreChildren = tree.omittedChildren + children.length - keptChildren.size;
  if (moreChildren > 0) lines.push(`${'  '.repeat(errorDepth + 1)}… ${moreChildren} more child span(s)`);
  if (moreSiblings > 0) lines.push(`${'  '.repeat(errorDepth)}… ${moreSiblings} more sibling span(s)`);
  for (const note of tree.notes) lines.push(`(${note})`);
  return lines.join('\n');
}

function describeNode(node: TraceTreeNode): string {
  const status =
    node.status === 'error'
      ? ` ERROR${node.statusMessage ? ` "${node.statusMessage}"` : ''}`
      : node.status === 'ok'
        ? ' ok'
        : '';
  const attributes = node.attributes.length > 0 ? ` {${node.attributes.map(([k, v]) => `${k}=${v}`).join(', ')}}` : '';
  return `[${node.service}] ${node.name} ${formatDuration(node.durationMs)}${status}${attributes}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?ms';
  if (ms < 10) return `${Math.round(ms * 10) / 10}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${Math.round(ms / 100) / 10}s`;
}

function nodeOf(span: TraceSpan, role: TraceNodeRole, depth: number, limits: typeof DEFAULTS): TraceTreeNode {
  const status = span.statusCode === 2 ? 'error' : span.statusCode === 1 ? 'ok' : 'unset';
  return {
    role,
    depth,
    spanId: span.spanId,
    service: span.service,
    name: clip(span.name, limits.maxValueChars),
    durationMs: span.endTimeUnixMs - span.startTimeUnixMs,
    status,
    ...(span.statusMessage ? { statusMessage: clip(span.statusMessage, limits.maxValueChars) } : {}),
    attributes: tellingAttributes(span.attributes, limits),
    startTimeUnixMs: span.startTimeUnixMs,
  };
}

function tellingAttributes(
  attributes: TraceSpan['attributes'],
  limits: typeof DEFAULTS,
): (readonly [string, string])[] {
  const keys = Object.keys(attributes ?? {});
  const preferred = TELLING_ATTRIBUTES.filter((k) => keys.includes(k));
  const others = keys.filter((k) => !TELLING_ATTRIBUTES.includes(k) && !isIdentifierKey(k)).sort();
  return [...preferred, ...others]
    .slice(0, limits.maxAttributesPerSpan)
    .map((k) => [k, clip(String(attributes[k]), limits.maxValueChars)] as const);
}

/** Error spans first (they are the story), then the earliest; the chosen ones keep their time order. */
function mostTelling(spans: readonly TraceSpan[], max: number): TraceSpan[] {
  return [...spans]
    .sort(
      (a, b) => (b.statusCode === 2 ? 1 : 0) - (a.statusCode === 2 ? 1 : 0) || a.startTimeUnixMs - b.startTimeUnixMs,
    )
    .slice(0, Math.max(0, max));
}

function mostTellingNodes(nodes: readonly TraceTreeNode[], max: number): TraceTreeNode[] {
  return [...nodes]
    .sort(
      (a, b) =>
        (b.status === 'error' ? 1 : 0) - (a.status === 'error' ? 1 : 0) || a.startTimeUnixMs - b.startTimeUnixMs,
    )
    .slice(0, Math.max(0, max));
}

function byStart(spans: readonly TraceSpan[]): TraceSpan[] {
  return [...spans].sort((a, b) => a.startTimeUnixMs - b.startTimeUnixMs || a.spanId.localeCompare(b.spanId));
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
