/**
 * @module The markdown notifier: one file per report at
 * `<NOTIFICATION_OUTPUT_DIR>/YYYY-MM-DD/HH-MM-SS_<service>_<ErrorType>_<signatureId>.md` (UTC, names sanitised),
 * written atomically and never over an earlier report.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Notification, Notifier } from '../ports/index.js';
import { clip, HEADLINES, iso, renderSections, type TraceUrl } from './report.js';
import { renderSafeText } from './safe-text.js';

export interface MarkdownNotifierOptions {
  outputDir: string;
  /** The report's time, which names its folder and file; the wall clock unless a test fixes it. */
  now?: () => Date;
  traceUrl?: TraceUrl;
}

/** Reports of one signature within the same second get `-2`, `-3`...; past this something is looping. */
const MAX_SUFFIX = 100;
const MAX_PART_LENGTH = 64;
/** Errors from link() that mean "this filesystem has no hard links", not "this name is taken". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

export class MarkdownNotifier implements Notifier {
  readonly name = 'markdown';
  private readonly now: () => Date;

  constructor(private readonly options: MarkdownNotifierOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async notify(notification: Notification): Promise<void> {
    await this.write(notification);
  }

  /** Writes the report and returns its path. */
  async write(notification: Notification): Promise<string> {
    const at = this.now();
    const stamp = at.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ, always UTC
    const { signature } = notification;
    const dir = join(this.options.outputDir, stamp.slice(0, 10));
    const base = [
      stamp.slice(11, 19).replace(/:/g, '-'),
      sanitizePathPart(signature.service),
      sanitizePathPart(signature.errorType),
      sanitizePathPart(signature.id),
    ].join('_');
    try {
      await mkdir(dir, { recursive: true });
      return await writeNew(dir, base, renderReport(notification, at, this.options.traceUrl));
    } catch (error) {
      throw new Error(
        `markdown notifier: cannot write the report for ${signature.id} under ${this.options.outputDir}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/**
 * One safe file-name component: only [A-Za-z0-9._-], any other run becomes `-`, no `..`, no leading dot or dash
 * (no hidden files, nothing an option parser mistakes for a flag), bounded length, never empty.
 */
export function sanitizePathPart(value: string): string {
  const cleaned = value
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, MAX_PART_LENGTH)
    .replace(/^[.-]+|[.-]+$/g, '');
  return cleaned === '' ? 'unknown' : cleaned;
}

export function renderReport(notification: Notification, at: Date, traceUrl?: TraceUrl): string {
  const { kind, signature } = notification;
  return [
    `# ${HEADLINES[kind]}: ${renderSafeText(signature.errorType, 'code')} in ${renderSafeText(signature.service, 'code')}`,
    '',
    `> ${renderSafeText(clip(signature.messageTemplate), 'code')}`,
    '',
    `Reported by Rounds at ${iso(at.getTime())}.`,
    '',
    renderSections({ signature, samples: notification.samples, traceUrl }),
  ].join('\n');
}

/**
 * Writes to a temp file first, so a crash never leaves half a report under a report's name, then links it to the
 * first free name: link() fails on an existing name, where rename() would silently replace an earlier report.
 */
async function writeNew(dir: string, base: string, content: string): Promise<string> {
  const temp = join(dir, `.${base}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    for (let n = 1; n <= MAX_SUFFIX; n++) {
      const path = join(dir, n === 1 ? `${base}.md` : `${base}-${n}.md`);
      if (await claim(temp, path)) return path;
    }
    throw new Error(`${MAX_SUFFIX} reports named ${base} already exist`);
  } finally {
    await rm(temp, { force: true });
  }
}

/** True when `temp` now also lives at `path`; false when the name was taken. */
async function claim(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw error;
  }
  // Without hard links: check, then rename. Two writers racing for one name inside one second could still
  // collide here, which is the best such a filesystem allows.
  if (await exists(path)) return false;
  await rename(temp, path);
  return true;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
