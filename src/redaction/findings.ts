/** @module What a redaction found: rule names and counts, never the text that was removed. */

export interface RedactionFinding {
  readonly rule: string;
  readonly count: number;
}

/** Counts per rule, in the order the rules first fired. */
export class Findings {
  private readonly counts = new Map<string, number>();

  add(rule: string): void {
    this.counts.set(rule, (this.counts.get(rule) ?? 0) + 1);
  }

  list(): RedactionFinding[] {
    return [...this.counts].map(([rule, count]) => ({ rule, count }));
  }
}
