/**
 * @module Turns a frame's file, as a runtime printed it, into path segments that can be matched against the
 * codebase: URL schemes, drive letters, `.`/`..` and known container or CI prefixes removed. Pure.
 */
import type { StackFrame } from '../../domain/index.js';

export interface FramePath {
  /** Every segment of the printed path after normalisation (no scheme, drive, `.` or `..`). */
  readonly segments: readonly string[];
  /** `segments` without a known container/build prefix: the frame's best guess at a path inside the codebase. */
  readonly relative: readonly string[];
  /** The prefix that was removed, when one was (e.g. `/app`), for the report. */
  readonly strippedPrefix?: string;
  /** True when the path was rebuilt from a JVM package and a bare file name. */
  readonly fromPackage: boolean;
}

export type UnusablePathReason = 'no-file' | 'runtime-internal' | 'dependency';

export type FramePathResult =
  | { readonly ok: true; readonly path: FramePath }
  | { readonly ok: false; readonly reason: UnusablePathReason; readonly detail: string };

/** Longer "paths" are garbage (a minified blob, a data URL); matching them would waste time for nothing. */
const MAX_PATH_CHARS = 2048;

const RUNTIME_INTERNAL = [
  /^node:/,
  /^internal\//,
  /^<[^>]*>$/, // <frozen importlib._bootstrap>, <string>, <anonymous>
  /^\(webpack\)/,
  /^(native|\[native code\]|Native Method|Unknown Source|unknown)$/i,
  /^\/usr\/local\/go\/src\//,
  /^runtime\/[^/]+\.go$/,
];

/** Directories that hold dependencies or the language's standard library, never the monitored project's code. */
const DEPENDENCY_SEGMENT = /^(node_modules|site-packages|dist-packages|gems|\.m2|\.gradle|\.nuget|\.cargo)$/;
const DEPENDENCY_PATH = [/(^|\/)lib\/python\d[\d.]*\//, /(^|\/)go\/pkg\/mod\//, /(^|\/)usr\/lib\/jvm\//];

const JVM_SOURCE = /\.(java|kt|kts|scala|groovy|clj)$/;

/** `*` stands for any one segment. Ordered most specific first; the first that matches is stripped. */
const KNOWN_PREFIXES: readonly (readonly string[])[] = [
  ['home', 'runner', 'work', '*', '*'], // GitHub Actions checkout
  ['github', 'workspace'], // GitHub container actions
  ['builds', '*', '*'], // GitLab CI
  ['a', '*', 's'], // Azure Pipelines (after the drive letter)
  ['a', '*', '*'], // GitHub Windows runners (D:\a\repo\repo)
  ['go', 'src', '*', '*', '*'], // GOPATH layout: /go/src/github.com/acme/shop
  ['usr', 'src', 'app'],
  ['usr', 'src', '*'],
  ['var', 'www', 'html'],
  ['var', 'task'], // AWS Lambda
  ['opt', 'app'],
  ['opt', '*'],
  ['srv', 'app'],
  ['srv', '*'],
  ['workspaces', '*'], // dev containers, Codespaces
  ['workspace'],
  ['app'],
  ['code'],
  ['src'], // the .NET Dockerfile convention (WORKDIR /src)
  ['Users', '*', 'source', 'repos', '*'], // Visual Studio default
];

export function framePathOf(frame: Pick<StackFrame, 'file' | 'module'>): FramePathResult {
  const raw = frame.file?.trim();
  if (!raw) return { ok: false, reason: 'no-file', detail: 'the frame has no file name' };
  if (raw.length > MAX_PATH_CHARS) return { ok: false, reason: 'no-file', detail: 'the file name is implausibly long' };
  if (RUNTIME_INTERNAL.some((pattern) => pattern.test(raw))) {
    return { ok: false, reason: 'runtime-internal', detail: `${raw} is runtime code, not the project's` };
  }

  const { path, absolute } = withoutSchemeAndDrive(raw);
  const segments = normaliseSegments(path);
  if (segments.length === 0) return { ok: false, reason: 'no-file', detail: `${raw} names no file` };
  const joined = segments.join('/');
  if (segments.some((s) => DEPENDENCY_SEGMENT.test(s)) || DEPENDENCY_PATH.some((p) => p.test(joined))) {
    return { ok: false, reason: 'dependency', detail: `${raw} is a dependency or standard-library file` };
  }

  const fromPackage = segments.length === 1 && JVM_SOURCE.test(joined) && (frame.module?.includes('.') ?? false);
  if (fromPackage) {
    const packageSegments = (frame.module ?? '').split('.').slice(0, -1).filter(Boolean);
    const rebuilt = [...packageSegments, joined];
    return { ok: true, path: { segments: rebuilt, relative: rebuilt, fromPackage } };
  }

  const stripped = absolute ? stripKnownPrefix(segments) : stripGoModulePrefix(segments);
  return {
    ok: true,
    path: {
      segments,
      relative: stripped.rest,
      fromPackage,
      ...(stripped.prefix === undefined ? {} : { strippedPrefix: stripped.prefix }),
    },
  };
}

/** Removes `file://`, `webpack://ns/`, `http(s)://host`, query strings and Windows drive or UNC prefixes. */
function withoutSchemeAndDrive(raw: string): { path: string; absolute: boolean } {
  let path = raw;
  const webpack = /^webpack(?:-internal)?:\/\/[^/]*\//.exec(path);
  if (webpack) return { path: stripQuery(path.slice(webpack[0].length)), absolute: false };
  if (path.startsWith('file://')) path = safeDecode(path.slice('file://'.length).replace(/^localhost\//, '/'));
  else {
    const url = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
    if (url) path = stripQuery(path.slice(url[0].length));
  }
  path = path.replaceAll('\\', '/');
  let absolute = path.startsWith('/');
  const unc = /^\/\/[^/]+\/[^/]+\//.exec(path);
  if (unc) path = path.slice(unc[0].length - 1);
  const drive = /^\/?[A-Za-z]:\//.exec(path);
  if (drive) {
    path = path.slice(drive[0].length - 1);
    absolute = true;
  }
  return { path, absolute };
}

function stripQuery(path: string): string {
  return path.replace(/[?#].*$/, '');
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** `.` dropped, `..` applied; a `..` that would climb above the start is dropped, so nothing can point above it. */
function normaliseSegments(path: string): string[] {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out;
}

function stripKnownPrefix(segments: readonly string[]): { rest: readonly string[]; prefix?: string } {
  for (const prefix of KNOWN_PREFIXES) {
    // Keep at least the file name: a prefix never swallows the whole path.
    if (segments.length <= prefix.length) continue;
    if (prefix.every((part, i) => part === '*' || part === segments[i])) {
      return { rest: segments.slice(prefix.length), prefix: `/${segments.slice(0, prefix.length).join('/')}` };
    }
  }
  return { rest: segments };
}

/** Go prints module paths for trimmed builds (`github.com/acme/shop/internal/cart/cart.go`): host/owner/repo go. */
function stripGoModulePrefix(segments: readonly string[]): { rest: readonly string[]; prefix?: string } {
  const [host] = segments;
  if (
    host !== undefined &&
    segments.length > 3 &&
    /^[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|org|net|io|dev|in|co|cloud)$/i.test(host)
  ) {
    return { rest: segments.slice(3), prefix: segments.slice(0, 3).join('/') };
  }
  return { rest: segments };
}
