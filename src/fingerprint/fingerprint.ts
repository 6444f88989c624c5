/** @module The fingerprinter: one error occurrence in, a stable, explainable fingerprint out. Pure. */
import { hash } from 'node:crypto';
import type {
  Attributes,
  Fingerprint,
  FingerprintComponent,
  FingerprintStrategy,
  Language,
  StackFrame,
} from '../domain/index.js';
import { CURRENT_CONFIG, type FingerprintConfig } from './configs.js';
import { languageFromHint, type ParsedTrace, parseStackTrace, runtimeFor } from './frames/index.js';
import { compileInAppOverride, type InAppOverride, type InAppPatterns } from './in-app.js';
import { operationTemplate } from './operation.js';
import { parameterize } from './parameterize.js';
import { semconvFacts } from './semconv.js';
import { cutText, TextCache } from './text-cache.js';

/** What the fingerprinter reads from an occurrence; an ErrorEvent is one. */
export interface FingerprintInput {
  service: string;
  errorType: string;
  message: string;
  stackTrace?: string;
  language?: string;
  operation?: string;
  attributes?: Attributes;
}

export interface FingerprinterOptions {
  includeService: boolean;
  inApp: InAppPatterns;
}

const SEPARATOR = '\u001f';
/** About 16 MB of trace text at most: enough for the distinct crash sites of a busy fleet. */
const ANALYSIS_CACHE_ENTRIES = 4096;
const ANALYSIS_CACHE_CHARS = 8 * 1024 * 1024;
const MAX_LANGUAGE_HINTS = 16;
/** Shorter messages could match inside a frame line; they stay in the cache key. */
const MIN_STRIPPED_MESSAGE = 8;

interface StackAnalysis {
  trace?: ParsedTrace;
  stack?: StackResult;
  frames: StackFrame[];
  stackHash?: string;
}
const FALLBACK_TYPE = 'Error';

export class Fingerprinter {
  readonly config: FingerprintConfig = CURRENT_CONFIG;
  private readonly includeService: boolean;
  private readonly inAppOverride: InAppOverride | undefined;
  private readonly analyses = new Map<string, TextCache<StackAnalysis>>();

  constructor(options: FingerprinterOptions) {
    this.includeService = options.includeService;
    this.inAppOverride = compileInAppOverride(options.inApp);
  }

  fingerprint(input: FingerprintInput): Fingerprint {
    const analysis =
      input.stackTrace === undefined ? undefined : this.analyze(input.stackTrace, input.language, input.message);
    const trace = analysis?.trace;
    const top = trace?.exceptions[0];
    const errorType = input.errorType.trim() || top?.type || FALLBACK_TYPE;
    const messageTemplate = parameterize(input.message.trim() === '' ? (top?.message ?? '') : input.message).template;
    const language: Language = trace?.language ?? languageFromHint(input.language);

    const components: FingerprintComponent[] = [this.serviceComponent(input.service)];
    components.push({ name: 'type', contributes: true, values: [errorType] });
    components.push({ name: 'message', contributes: true, values: [messageTemplate] });

    let strategy: FingerprintStrategy;
    if (analysis?.stack !== undefined) {
      components.push(...analysis.stack.components);
      strategy = analysis.stack.strategy;
    } else {
      const facts = input.stackTrace === undefined ? semconvFacts(input.attributes ?? {}) : [];
      if (facts.length > 0) {
        strategy = 'semconv';
        const operation = input.operation === undefined ? '' : operationTemplate(input.operation);
        components.push({ name: 'operation', contributes: operation !== '', values: [operation] });
        components.push({ name: 'semconv', contributes: true, values: facts.map((f) => `${f.name}=${f.value}`) });
      } else {
        strategy = 'message';
        components.push({
          name: 'stack',
          contributes: false,
          values: [],
          hint: input.stackTrace === undefined ? 'no stack trace' : 'stack trace in a format no parser recognises',
        });
      }
    }

    return {
      hash: hashComponents(this.config.id, components),
      configId: this.config.id,
      strategy,
      errorType,
      messageTemplate,
      language,
      frames: analysis?.frames ?? [],
      components,
      ...(analysis?.stackHash === undefined ? {} : { stackHash: analysis.stackHash }),
    };
  }

  /**
   * Parsing is most of a fingerprint's cost, and one crash site prints the same trace every time but for the
   * message in its exception line, so the analysis is cached by the trace text with the event's message cut
   * out (bench/fingerprint.bench.ts measures hits and misses). A cached analysis keeps the first occurrence's
   * exception messages, which the hash never reads; cached results are shared and must not be modified.
   */
  private analyze(stackTrace: string, language: string | undefined, message: string): StackAnalysis {
    const hint = language ?? '';
    let cache = this.analyses.get(hint);
    if (cache === undefined) {
      cache = new TextCache<StackAnalysis>(ANALYSIS_CACHE_ENTRIES, ANALYSIS_CACHE_CHARS);
      // Hints are free text from telemetry: past a handful, parse without caching rather than grow.
      if (this.analyses.size < MAX_LANGUAGE_HINTS) this.analyses.set(hint, cache);
    }
    const at = message.length >= MIN_STRIPPED_MESSAGE ? stackTrace.indexOf(message) : -1;
    // The key is the trace with the message cut out; the cache reads it from the trace, so a hit copies nothing.
    const cutAt = at < 0 ? stackTrace.length : at;
    const cutLength = at < 0 ? 0 : message.length;
    const cached = cache.getCut(stackTrace, cutAt, cutLength);
    if (cached !== undefined) return cached;
    const trace = parseStackTrace(stackTrace, language);
    let analysis: StackAnalysis = { frames: [] };
    if (trace !== undefined) {
      this.applyInAppOverride(trace);
      const stack = stackComponents(trace);
      // A crash site's frames are hashed once here; each event's hash then takes this digest instead of
      // re-reading hundreds of characters of frame keys (bench/fingerprint.bench.ts).
      for (const component of stack.components) {
        serializedComponents.set(component, `\n${component.name}#${sha256(serializeComponent(component))}`);
      }
      analysis = {
        trace,
        stack,
        frames: rootCauseFrames(trace),
        stackHash: sha256(stack.values.join(SEPARATOR)).slice(0, 16),
      };
    }
    cache.set(cutText(stackTrace, cutAt, cutLength), analysis);
    return analysis;
  }

  private serviceComponent(service: string): FingerprintComponent {
    return this.includeService
      ? { name: 'service', contributes: true, values: [service] }
      : { name: 'service', contributes: false, values: [service], hint: 'FINGERPRINT_INCLUDE_SERVICE=false' };
  }

  private applyInAppOverride(trace: ParsedTrace): void {
    const override = this.inAppOverride;
    if (override === undefined) return;
    for (const exception of trace.exceptions) {
      for (const frame of exception.frames) frame.inApp = override(frame);
    }
  }
}

interface StackResult {
  strategy: FingerprintStrategy;
  components: FingerprintComponent[];
  values: string[];
}

/** Fallback order: the chain's in-app frames, else all its frames, else nothing but type and template. */
function stackComponents(trace: ParsedTrace): StackResult {
  const runtime = runtimeFor(trace.language);
  const anyInApp = trace.exceptions.some((e) => e.frames.some((f) => f.inApp));
  const anyFrames = trace.exceptions.some((e) => e.frames.length > 0);
  const strategy: FingerprintStrategy = anyInApp
    ? 'exception-in-app'
    : anyFrames
      ? 'exception-all-frames'
      : 'exception-message';

  const values: string[] = [];
  let dropped = 0;
  trace.exceptions.forEach((exception, index) => {
    // The top exception's type is already its own component; causes contribute theirs here.
    if (index > 0) values.push(`caused-by:${exception.type}`);
    let previous: string | undefined;
    for (const frame of exception.frames) {
      if (anyInApp && !frame.inApp) {
        dropped++;
        continue;
      }
      const key = runtime === undefined ? frameFallbackKey(frame) : runtime.groupingKey(frame);
      // Recursion depth varies between occurrences of one bug; a run of identical frames counts once.
      if (key === previous) continue;
      values.push(key);
      previous = key;
    }
  });

  const components: FingerprintComponent[] = [
    {
      name: 'stack',
      contributes: strategy !== 'exception-message',
      values,
      hint:
        strategy === 'exception-in-app'
          ? 'in-app frames, module + function; line numbers never count'
          : strategy === 'exception-all-frames'
            ? 'no in-app frame: all frames count'
            : 'the trace has no frames',
    },
  ];
  if (dropped > 0) {
    components.push({ name: 'library-frames', contributes: false, values: [String(dropped)], hint: 'not in-app' });
  }
  return { strategy, components, values };
}

function frameFallbackKey(frame: StackFrame): string {
  return `${frame.module ?? ''}:${frame.function ?? ''}`;
}

/** The frames a person reads first: the root cause's (last in the chain with frames), else the top exception's. */
function rootCauseFrames(trace: ParsedTrace): StackFrame[] {
  for (let i = trace.exceptions.length - 1; i >= 0; i--) {
    const frames = trace.exceptions[i]?.frames;
    if (frames !== undefined && frames.length > 0) return frames;
  }
  return [];
}

/** Digests of the stack components of cached analyses, which every event of their crash site contributes. */
const serializedComponents = new WeakMap<FingerprintComponent, string>();

function serializeComponent(component: FingerprintComponent): string {
  return `\n${component.name}:${component.values.join(SEPARATOR)}`;
}

function hashComponents(configId: string, components: readonly FingerprintComponent[]): string {
  // One string, hashed once: each call into the hash binding costs more than the concatenation.
  let text = configId;
  for (const component of components) {
    if (component.contributes) text += serializedComponents.get(component) ?? serializeComponent(component);
  }
  return sha256(text);
}

/** The one-shot `hash()` costs half of a Hash object for inputs this small (bench/fingerprint.bench.ts). */
function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}
