/** @module Tests for `read_file` and the root confinement every tool shares. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodebaseRoot } from './codebase-root.js';
import { createCodeTools } from './index.js';
import { READ_FILE_LIMITS, readFileTool } from './read-file.js';
import { createTestCodebase, type TestCodebase } from './testing/codebase.js';

let codebase: TestCodebase;
const identity = (text: string) => text;

beforeAll(async () => {
  codebase = await createTestCodebase();
});
afterAll(async () => {
  await codebase.remove();
});

const read = (input: unknown, limits = READ_FILE_LIMITS) =>
  readFileTool(new CodebaseRoot(codebase.root), identity, limits).run(input);

describe('read_file', () => {
  it('returns the requested lines, numbered, with the file length', async () => {
    const result = await read({ path: 'src/orders/service.ts', start_line: 41, end_line: 43 });
    expect(result.isError).toBe(false);
    expect(result.content.split('\n')).toEqual([
      'src/orders/service.ts (lines 41-43 of 60)',
      '41|   const line41 = 41;',
      '42|   return total / items.length; // divides by zero for an empty cart',
      '43|   const line43 = 43;',
    ]);
  });

  it('caps the range at the line limit and says where to continue', async () => {
    const result = await read(
      { path: 'src/orders/service.ts', start_line: 1, end_line: 60 },
      { ...READ_FILE_LIMITS, maxLines: 10 },
    );
    const lines = result.content.split('\n');
    expect(lines[0]).toBe('src/orders/service.ts (lines 1-10 of 60)');
    expect(lines).toHaveLength(12);
    expect(lines.at(-1)).toBe('(stopped at line 10 (output limit); ask for lines 11-60 next)');
  });

  it('cuts very long lines', async () => {
    const result = await read({ path: 'src/minified.js' });
    expect(result.content).toContain('… (line cut)');
    expect(result.content.length).toBeLessThan(1_000);
  });

  it('refuses a start past the end, an inverted range and invalid input, as tool errors', async () => {
    expect(await read({ path: 'src/orders/service.ts', start_line: 61 })).toEqual({
      isError: true,
      content: '"src/orders/service.ts" has 60 lines; start_line 61 is past the end',
    });
    expect((await read({ path: 'src/orders/service.ts', start_line: 9, end_line: 3 })).content).toMatch(/before/);
    const invalid = await read({ path: 'src/orders/service.ts', start_line: 0 });
    expect(invalid.isError).toBe(true);
    expect(invalid.content).toMatch(/invalid input for read_file[\s\S]*start_line/);
    expect((await read({})).isError).toBe(true);
  });

  it.each([
    ['../outside/secret.txt', /outside the codebase/],
    ['src/../../outside/secret.txt', /outside the codebase/],
    ['/etc/passwd', /absolute paths are not allowed/],
    ['src/escape.txt', /link to a location outside the codebase/],
    ['src/escape-dir/secret.txt', /link to a location outside the codebase/],
    ['.git/config', /inside \.git/],
    ['.env', /may hold credentials/],
    ['keys/server.pem', /may hold credentials/],
    ['assets/logo.png', /binary/],
    ['src/nope.ts', /does not exist/],
    ['src/orders', /not a file/],
  ])('refuses %s without throwing', async (path, message) => {
    const result = await read({ path });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(message);
    expect(result.content).not.toContain('hunter2');
    expect(result.content).not.toContain('outside the root');
  });

  it('follows a symlink whose target stays inside the root, and reads templates of secret files', async () => {
    expect((await read({ path: 'src/charge-link.py' })).content).toContain('negative amount');
    expect((await read({ path: './.env.example' })).isError).toBe(false);
  });

  it('refuses a file over the size limit', async () => {
    const result = await read({ path: 'src/minified.js' }, { ...READ_FILE_LIMITS, maxFileBytes: 100 });
    expect(result).toMatchObject({ isError: true, content: expect.stringMatching(/over the 100-byte limit/) });
  });

  it('passes every output through the redactor, errors included', async () => {
    const [readFile] = createCodeTools({
      root: codebase.root,
      redact: (text) => text.replaceAll('items', '[REDACTED]'),
    });
    const ok = await readFile!.run({ path: 'src/orders/service.ts', start_line: 42, end_line: 42 });
    expect(ok.content).toContain('total / [REDACTED].length');
    const error = await readFile!.run({ path: 'src/items.ts' });
    expect(error.content).toContain('src/[REDACTED].ts');
  });

  it('reports a missing codebase root as a tool error', async () => {
    const [readFile] = createCodeTools({ root: `${codebase.root}-missing` });
    expect(await readFile!.run({ path: 'a.ts' })).toMatchObject({
      isError: true,
      content: expect.stringMatching(/does not exist/),
    });
  });
});
