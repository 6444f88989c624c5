/**
 * @module Fences untrusted text as data. A block opens with `<<<DATA <token> <label>>>>` and closes with
 * `<<<END DATA <token>>>>`; the token is derived from the content and re-derived until no block contains it, so
 * nothing inside a block can print the closing line and "escape" into the instructions. Pure.
 */
import { createHash } from 'node:crypto';

export interface Fence {
  readonly token: string;
  /** `label` is Rounds' own wording (never telemetry); newlines in it are flattened. */
  block(label: string, content: string): string;
}

const TOKEN_HEX_DIGITS = 20;

/** `contents` must be every text that will be fenced, already redacted: the token is checked against them. */
export function fenceFor(contents: readonly string[]): Fence {
  const hash = createHash('sha256');
  for (const content of contents) hash.update(content).update('\u0000');
  const seed = hash.digest('hex');
  let token = '';
  for (let attempt = 0; ; attempt += 1) {
    token = createHash('sha256').update(`${seed}:${attempt}`).digest('hex').slice(0, TOKEN_HEX_DIGITS);
    const candidate = token;
    if (!contents.some((content) => content.includes(candidate))) break;
  }
  return {
    token,
    block: (label, content) => {
      const flatLabel = label.replace(/[\r\n]+/g, ' ');
      const body = content.endsWith('\n') ? content : `${content}\n`;
      return `<<<DATA ${token} ${flatLabel}>>>\n${body}<<<END DATA ${token}>>>`;
    },
  };
}
