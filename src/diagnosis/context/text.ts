/** @module Small text helpers shared by the evidence builders. Pure. */

/** Collapses whitespace runs and cuts at `max` characters, marking the cut. */
export function clipFlat(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Cuts multi-line text at `max` characters, keeping line breaks, and says how much was cut. */
export function clipBlock(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… (${text.length - max} more characters)`;
}

/** ISO time that tolerates corrupt timestamps instead of throwing a RangeError mid-assembly. */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : 'an unknown time';
}
