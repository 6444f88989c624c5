import { describe, expect, it } from 'vitest';
import { clusterLines, cutWindow } from './code-window.js';

const file = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');

describe('cutWindow', () => {
  it('returns the numbered lines around the focus line', () => {
    const window = cutWindow(file, [50], 20);
    expect(window.lines[0]).toEqual({ number: 30, text: 'line 30' });
    expect(window.lines.at(-1)).toEqual({ number: 70, text: 'line 70' });
    expect(window.focusLines).toEqual([50]);
    expect(window.totalLines).toBe(100);
    expect(window.notes).toEqual([]);
  });

  it('clamps at the start and end of the file and spans several focus lines', () => {
    const window = cutWindow(file, [3, 98], 5);
    expect(window.lines[0]?.number).toBe(1);
    expect(window.lines.at(-1)?.number).toBe(100);
  });

  it('says when a frame line is past the end of the file and shows the end instead', () => {
    const window = cutWindow('a\nb\nc\n', [40], 2);
    expect(window.totalLines).toBe(3);
    expect(window.focusLines).toEqual([]);
    expect(window.lines.map((l) => l.number)).toEqual([1, 2, 3]);
    expect(window.notes[0]).toContain('line 40 is past the end of the file (3 lines)');
  });

  it('shows the start of the file for a frame without a line', () => {
    const window = cutWindow(file, [], 2);
    expect(window.lines.map((l) => l.number)).toEqual([1, 2, 3, 4, 5]);
    expect(window.notes[0]).toContain('no line number');
  });

  it('clips very long lines and handles CRLF', () => {
    const window = cutWindow(`short\r\n${'x'.repeat(1000)}\r\n`, [2], 1, 50);
    expect(window.lines[0]?.text).toBe('short');
    expect(window.lines[1]?.text).toHaveLength(50);
    expect(window.lines[1]?.text.endsWith('…')).toBe(true);
  });
});

describe('clusterLines', () => {
  it('groups lines whose windows overlap', () => {
    expect(clusterLines([50, 10, 30, 200, 10], 10)).toEqual([[10, 30, 50], [200]]);
  });
});
