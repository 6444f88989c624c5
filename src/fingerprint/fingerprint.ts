/** @module The fingerprinter: one error occurrence in, a stable, explainable fingerprint out. Pure. */
import { createHash } from 'node:crypto';
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
const FALLBACK_TYPE = 'Error';

export class Fingerprinter {
  readonly config: FingerprintConfig = CURRENT_CONFIG;
  private readonly includeService: boolean;
  private readonly inAppOverride: InAppOverride | undefined;

  constructor(options: FingerprinterOptions) {
    this.includeService = options.includeService;
    this.inAppOverride = compileInAppOverride(options.inApp);
  }

  fingerprint(input: FingerprintInput): Fingerprint {
    const trace = input.stackTrace === undefined ? undefined : parseStackTrace(input.stackTrace, input.language);
    if (trace !== undefined) this.applyInAppOverride(trace);
    const top = trace?.exceptions[0];
    const errorType = input.errorType.trim() || top?.type || FALLBACK_TYPE;
    const messageTemplate = parameterize(input.message.trim() === '' ? (top?.message ?? '') : input.message).template;
    const language: Language = trace?.language ?? languageFromHint(input.language);

    const components: FingerprintComponent[] = [this.serviceComponent(input.service)];
    components.push({ name: 'type', contributes: true, values: [errorType] });
    components.push({ name: 'message', contributes: true, values: [messageTemplate] });

    let strategy: FingerprintStrategy;
    let stackValues: string[] | undefined;
    if (trace !== undefined) {
      const stack = stackComponents(trace);
      components.push(...stack.components);
      strategy = stack.strategy;
      stackValues = stack.values;
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
      frames: trace === undefined ? [] : rootCauseFrames(trace),
      components,
      ...(stackValues === undefined ? {} : { stackHash: sha256(stackValues.join(SEPARATOR)).slice(0, 16) }),
    };
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

function hashComponents(configId: string, components: readonly FingerprintComponent[]): string {
  let text = configId;
  for (const component of components) {
    if (component.contributes) text += `\n${component.name}:${component.values.join(SEPARATOR)}`;
  }
  return sha256(text);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
