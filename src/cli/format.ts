/** @module Plain-text rendering shared by the read commands. */
import type { Signature } from '../domain/index.js';

export function signatureTable(signatures: readonly Signature[]): string {
  const header = ['ID', 'STATUS', 'COUNT', 'LAST SEEN', 'SERVICE', 'ERROR'];
  const rows = signatures.map((s) => [
    s.id,
    s.status,
    String(s.occurrenceCount),
    new Date(s.lastSeen).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    s.services.join(','),
    `${s.errorType}: ${s.messageTemplate}`.slice(0, 100),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
