/**
 * @module A tokenizer-free token estimate. The usual rule of thumb is 4 characters per token for English prose;
 * code, JSON and stack traces tokenize denser, and non-Latin text far denser. The estimate leans high on purpose,
 * so a prompt that fits by the estimate fits the real tokenizer: ASCII characters count 1/3.5 token each, every
 * other code point counts one token. Pure.
 */

const ASCII_CHARS_PER_TOKEN = 3.5;

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const char of text) {
    if (char.charCodeAt(0) < 128) ascii += 1;
    else other += 1;
  }
  return Math.ceil(ascii / ASCII_CHARS_PER_TOKEN) + other;
}
