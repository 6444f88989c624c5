/**
 * @module renderSafeText: the single hook every piece of telemetry- or model-derived text goes through before it
 * lands in a report (markdown file, GitHub issue or comment).
 *
 * It first redacts secrets (tokens, keys, passwords, emails: see docs/redaction.md), then neutralises
 * markdown/HTML injection: error messages, frames, attributes and even the diagnosis (a model can be steered by the
 * text it reads, and may quote a secret back) are untrusted, and must neither leak credentials nor become HTML,
 * links, images, headings or @-mentions in a rendered report. Keep every untrusted string flowing through this
 * function: it is what lets no report renderer know about redaction.
 */
import { Redactor } from '../redaction/index.js';

/*
 * The redactor is module state with a setter rather than a parameter: renderSafeText has a score of callers across
 * three renderers, and threading a redactor through all of them (and every notifier's options) is churn in which
 * one forgotten argument silently skips the operator's patterns. Redaction policy is process-wide configuration,
 * set once at startup; until then the built-in rules apply, so there is never a moment without redaction.
 */
let redactor = new Redactor();

/**
 * Makes every later renderSafeText call use `next` (built from REDACTION_EXTRA_PATTERNS at startup). Returns the
 * redactor it replaces, so a test can put it back.
 */
export function setSafeTextRedactor(next: Redactor): Redactor {
  const previous = redactor;
  redactor = next;
  return previous;
}

/** Redaction alone, for text that is cut or shaped before renderSafeText sees it (a cut could hide half a token). */
export function redactText(raw: string): string {
  return redactor.redact(raw).text;
}

/** Every string in a JSON-like value redacted, for structured output (stdout JSON lines). */
export function redactStructured<T>(value: T): T {
  return redactor.redactValue(value).value;
}

/**
 * - `code`: one line inside an inline code span (identifiers, messages, paths): shown verbatim, never rendered.
 * - `cell`: like `code`, for a GFM table cell, where `|` would end the cell even inside a code span.
 * - `prose`: readable text (root cause, fix): markdown punctuation escaped, `<` and `>` as entities, mentions defused.
 * - `plain`: one line of plain text for places GitHub never renders as markdown (issue titles).
 */
export type SafeTextContext = 'code' | 'cell' | 'prose' | 'plain';

export function renderSafeText(raw: string, context: SafeTextContext): string {
  // Before any reshaping: a private key spans lines, and escaping would split what the rules look for.
  const text = redactor.redact(raw).text;
  switch (context) {
    case 'plain':
      return oneLine(text);
    case 'code':
      return codeSpan(oneLine(text));
    case 'cell':
      return codeSpan(oneLine(text)).replace(/\|/g, '\\|');
    case 'prose':
      return prose(text);
  }
}

// Control characters (other than tab and newline) can hide text in terminals and editors; they carry no meaning here.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

function oneLine(text: string): string {
  return text.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

/** A code span whose fence is longer than any backtick run inside, so the text cannot close it early. */
function codeSpan(text: string): string {
  if (text === '') return '` `';
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // CommonMark strips one space on each side, which lets text that starts or ends with a backtick sit inside.
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function prose(text: string): string {
  return text
    .replace(CONTROL, ' ')
    .split(/\r?\n/)
    .map((line) => escapeLineStart(escapeInline(line.trim())))
    .filter((line, i, lines) => line !== '' || (i > 0 && lines[i - 1] !== ''))
    .join('\n');
}

function escapeInline(line: string): string {
  return (
    line
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      // Every ASCII punctuation mark that starts inline markup: emphasis, code, links, images, tables, strikethrough.
      .replace(/[\\`*_[\]()!|~]/g, '\\$&')
      // GitHub links @handles and #numbers outside code, pinging people and cross-referencing issues: code spans
      // are the one place it leaves them alone.
      .replace(/(^|[^\w`])(@[A-Za-z0-9][A-Za-z0-9-]*)/g, '$1`$2`')
      .replace(/(^|[^\w`])(#\d+)/g, '$1`$2`')
  );
}

/** Block markup only counts at the start of a line: headings, lists, rules, setext underlines. */
function escapeLineStart(line: string): string {
  return line.replace(/^([#+=-])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
}
