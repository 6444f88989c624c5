/** @module The stdout notifier: a readable block per report, or one JSON line per report for log shippers. */
import type { StackFrame } from '../domain/index.js';
import type { Notification, Notifier } from '../ports/index.js';
import { redactStructured, redactText } from './safe-text.js';

export interface StdoutNotifierOptions {
  format: 'json' | 'pretty';
  out?: NodeJS.WritableStream;
}

const HEADLINES: Record<Notification['kind'], string> = {
  new_signature: 'New error signature',
  diagnosis: 'Diagnosis',
  regression: 'Regression',
  resolved: 'Resolved',
  update: 'Still occurring',
};

export class StdoutNotifier implements Notifier {
  readonly name = 'stdout';
  private readonly out: NodeJS.WritableStream;

  constructor(private readonly options: StdoutNotifierOptions) {
    this.out = options.out ?? process.stdout;
  }

  async notify(notification: Notification): Promise<void> {
    const text =
      this.options.format === 'json'
        ? `${JSON.stringify({ report: notification.kind, signature: redactStructured(notification.signature) })}\n`
        : redactText(renderBlock(notification));
    await new Promise<void>((resolve, reject) => {
      this.out.write(text, (error) => (error ? reject(error) : resolve()));
    });
  }
}

function renderBlock({ kind, signature }: Notification): string {
  const lines = [
    `── ${HEADLINES[kind]} ${signature.id} · ${signature.services.join(', ')}`,
    `   ${signature.errorType}: ${signature.messageTemplate}`,
    `   occurrences ${signature.occurrenceCount} · first seen ${iso(signature.firstSeen)} · last seen ${iso(signature.lastSeen)}`,
  ];
  if (signature.versions.length > 0) lines.push(`   versions ${signature.versions.join(', ')}`);
  const where = innermostInApp(signature.frames);
  if (where !== undefined) lines.push(`   at ${describeFrame(where)}`);
  lines.push(`   grouped by ${signature.strategy} (${signature.configId})`);
  const diagnosis = signature.diagnosis;
  if (kind === 'diagnosis' && diagnosis !== undefined) {
    lines.push(`   root cause (${diagnosis.confidence}): ${diagnosis.rootCause}`);
    lines.push(`   suggested fix: ${diagnosis.suggestedFix}`);
    const unverified = diagnosis.citations?.unverified ?? [];
    if (unverified.length > 0) lines.push(`   citations not found: ${unverified.join(', ')}`);
    for (const note of diagnosis.notes ?? []) lines.push(`   note: ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

function innermostInApp(frames: readonly StackFrame[]): StackFrame | undefined {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]?.inApp) return frames[i];
  return frames.at(-1);
}

function describeFrame(frame: StackFrame): string {
  const name = [frame.module, frame.function].filter(Boolean).join('.');
  const place = frame.file === undefined ? '' : ` (${frame.file}${frame.line === undefined ? '' : `:${frame.line}`})`;
  return `${name || '<unknown>'}${place}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
