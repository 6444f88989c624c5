/** @module The plain-text view of one signature: facts, lifecycle, triage, diagnosis work, reports. */
import type { Diagnosis, Signature, StackFrame, TriageDecision } from '../domain/index.js';
import type { NotificationRecord } from '../ports/index.js';

export interface SignatureDetail {
  readonly signature: Signature;
  readonly triageHistory: readonly TriageDecision[];
  readonly diagnoses: readonly Diagnosis[];
  readonly notifications: readonly NotificationRecord[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function renderDetail({ signature: s, triageHistory, diagnoses, notifications }: SignatureDetail): string {
  const lines = [
    `${s.id}  ${s.status}${s.tags.length > 0 ? `  [${s.tags.join(', ')}]` : ''}`,
    `  ${s.errorType}: ${s.messageTemplate}`,
    `  occurrences ${s.occurrenceCount} · first seen ${iso(s.firstSeen)} · last seen ${iso(s.lastSeen)}`,
    `  services ${s.services.join(', ')}${s.environments.length > 0 ? ` · environments ${s.environments.join(', ')}` : ''}`,
  ];
  if (s.versions.length > 0)
    lines.push(`  versions ${s.versions.join(', ')} (first ${s.firstVersion ?? s.versions[0]})`);
  lines.push(`  grouped by ${s.strategy} (${s.configId})`);
  const frame = innermostInApp(s.frames);
  if (frame)
    lines.push(
      `  at ${[frame.module, frame.function].filter(Boolean).join('.')} (${frame.file ?? '?'}:${frame.line ?? '?'})`,
    );
  if (s.resolution) {
    const where = s.resolution.inVersion ? ` in ${s.resolution.inVersion}` : '';
    lines.push(
      `  resolved${where} at ${iso(s.resolution.resolvedAt)}${s.status === 'regressed' ? ' (it came back)' : ''}`,
    );
  }
  if (s.mute) {
    const ends = [
      s.mute.until === undefined ? undefined : `until ${iso(s.mute.until)}`,
      s.mute.remainingOccurrences === undefined ? undefined : `for ${s.mute.remainingOccurrences} more occurrences`,
    ].filter(Boolean);
    lines.push(
      `  muted at ${iso(s.mute.mutedAt)}${ends.length ? ` ${ends.join(' or ')}` : ''}${s.mute.reason ? `: ${s.mute.reason}` : ''}`,
    );
  }
  lines.push('', 'Triage');
  if (!s.triage) lines.push('  not triaged yet (the daemon triages every TRIAGE_INTERVAL_SECONDS)');
  else lines.push(`  ${s.triage.explanation} (decided ${iso(s.triage.decidedAt)})`);
  if (s.triage?.queued) {
    const parts = Object.entries(s.triage.components).filter(([, v]) => v !== 0);
    lines.push(`  priority ${s.triage.priority} = ${parts.map(([k, v]) => `${k} ${v}`).join(' + ') || '0'}`);
  }
  for (const past of triageHistory.slice(1, 6)) lines.push(`  earlier, ${iso(past.decidedAt)}: ${past.explanation}`);
  if (s.investigation) {
    const next = s.investigation.nextAttemptAt ? `; next attempt after ${iso(s.investigation.nextAttemptAt)}` : '';
    lines.push(
      `  ${s.investigation.attempts} failed diagnosis attempt(s): ${s.investigation.lastError ?? 'unknown error'}${next}`,
    );
  }
  lines.push('', 'Diagnosis');
  const current = s.diagnosis;
  if (!current) lines.push('  none yet');
  else {
    lines.push(
      `  ${current.confidence} confidence · ${current.engine} (${current.model}) · $${current.costUsd.toFixed(4)} · ${iso(current.diagnosedAt)}`,
    );
    lines.push(`  root cause: ${current.rootCause}`);
    for (const item of current.evidence.slice(0, 10))
      lines.push(`  - ${item.description}${item.reference ? ` [${item.reference}]` : ''}`);
    lines.push(`  suggested fix: ${current.suggestedFix}`);
    if (current.citations) {
      const { checked, unverified } = current.citations;
      lines.push(
        `  citations: ${checked} checked${unverified.length ? `, not found: ${unverified.join(', ')}` : ', all found'}`,
      );
    }
    for (const note of current.notes ?? []) lines.push(`  note: ${note}`);
    if (diagnoses.length > 1) lines.push(`  (${diagnoses.length - 1} earlier diagnosis(es); --json shows them)`);
  }
  lines.push('', 'Reports');
  if (notifications.length === 0) lines.push('  none sent yet');
  for (const n of notifications.slice(-10))
    lines.push(`  ${iso(n.at)} ${n.channel} ${n.key}${n.externalRef ? ` → ${n.externalRef}` : ''}`);
  return lines.join('\n');
}

function innermostInApp(frames: readonly StackFrame[]): StackFrame | undefined {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]?.inApp) return frames[i];
  return frames.at(-1);
}
