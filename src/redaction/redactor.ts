/**
 * @module The Redactor: removes secrets from text before it leaves the process (to an LLM, GitHub, a markdown
 * file). Pure: no I/O, no clock, no global state.
 */
import { BUILT_IN_RULES } from './built-in-rules.js';
import { compileExtraPatterns } from './extra-patterns.js';
import { Findings, type RedactionFinding } from './findings.js';
import { redactTree } from './redact-value.js';
import { type RedactionRule, redactionMarker } from './rule.js';

export interface RedactorOptions {
  /** Regular expression sources (see parseExtraPatterns); a `(?<secret>...)` group limits what is replaced. */
  readonly extraPatterns?: readonly string[];
}

export interface RedactionResult {
  readonly text: string;
  /** Which rules fired and how often, in rule order: never the secret itself. */
  readonly findings: readonly RedactionFinding[];
}

export interface RedactedValue<T> {
  readonly value: T;
  readonly findings: readonly RedactionFinding[];
}

export class Redactor {
  private readonly rules: readonly RedactionRule[];

  /** Throws ROUNDS_INVALID_CONFIG naming every extra pattern that is not a usable regular expression. */
  constructor(options: RedactorOptions = {}) {
    // The operator's patterns go first: they target this organisation's own formats in the raw text, and the
    // built-in rules never touch the markers they leave.
    this.rules = [...compileExtraPatterns(options.extraPatterns ?? []), ...BUILT_IN_RULES];
  }

  /** Names of the rules in the order they run (a name may cover several patterns). */
  get ruleNames(): readonly string[] {
    return [...new Set(this.rules.map((r) => r.name))];
  }

  redact(text: string): RedactionResult {
    const findings = new Findings();
    return { text: this.redactInto(text, findings), findings: findings.list() };
  }

  /**
   * Redacts every string in a JSON-like value (plain objects, arrays, primitives), keys included, and replaces
   * whole string values under keys that name a secret (`password`, `apiKey`, `authorization`...). The shape is
   * unchanged; values that are not plain objects or arrays (a Date, a Map) are returned as they are.
   */
  redactValue<T>(value: T): RedactedValue<T> {
    const findings = new Findings();
    return {
      value: redactTree(value, (text) => this.redactInto(text, findings), findings) as T,
      findings: findings.list(),
    };
  }

  private redactInto(text: string, findings: Findings): string {
    let out = text;
    for (const rule of this.rules) out = applyRule(rule, out, findings);
    return out;
  }
}

function applyRule(rule: RedactionRule, text: string, findings: Findings): string {
  let out = '';
  let copied = 0;
  for (const match of text.matchAll(rule.pattern)) {
    const [start, end] = match.indices?.groups?.secret ?? match.indices?.[0] ?? [match.index, match.index];
    // An empty match (a lookahead-only extra pattern) has nothing to remove; a marker there would only add noise.
    if (end <= start || start < copied) continue;
    if (rule.keep?.(text.slice(start, end), match)) continue;
    out += text.slice(copied, start) + redactionMarker(rule.name);
    copied = end;
    findings.add(rule.name);
  }
  return copied === 0 ? text : out + text.slice(copied);
}
