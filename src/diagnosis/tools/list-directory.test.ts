/** @module Tests for `list_directory` and the path globs `search_code` uses. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodebaseRoot } from './codebase-root.js';
import { compileGlob } from './glob.js';
import { listDirectoryTool } from './list-directory.js';
import { createTestCodebase, type TestCodebase } from './testing/codebase.js';

let codebase: TestCodebase;

beforeAll(async () => {
  codebase = await createTestCodebase();
});
afterAll(async () => {
  await codebase.remove();
});

const list = (input: unknown, maxEntries?: number) =>
  listDirectoryTool(new CodebaseRoot(codebase.root), (text) => text, maxEntries).run(input);

describe('list_directory', () => {
  it('lists the root with directories and links marked, hiding .git', async () => {
    const result = await list({});
    // Secret files are listed (their names help orientation) even though read_file refuses them.
    expect(result.content.split('\n')).toEqual([
      './ (8 entries)',
      '.env',
      '.env.example',
      'README.md',
      'assets/',
      'dist/',
      'keys/',
      'node_modules/',
      'src/',
    ]);
  });

  it('lists a sub-directory, marking symbolic links', async () => {
    const result = await list({ path: 'src' });
    expect(result.content.split('\n')).toEqual([
      'src/ (6 entries)',
      'charge-link.py@',
      'escape-dir@',
      'escape.txt@',
      'minified.js',
      'orders/',
      'payments/',
    ]);
  });

  it('bounds the number of entries', async () => {
    const result = await list({ path: 'src' }, 2);
    expect(result.content.split('\n')).toEqual([
      'src/ (6 entries)',
      'charge-link.py@',
      'escape-dir@',
      '(4 more not shown)',
    ]);
  });

  it.each([
    ['..', /outside the codebase/],
    ['/tmp', /absolute paths/],
    ['src/escape-dir', /link to a location outside/],
    ['.git', /inside \.git/],
    ['README.md', /not a directory/],
  ])('refuses %s', async (path, message) => {
    const result = await list({ path });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(message);
  });
});

describe('compileGlob', () => {
  it.each([
    ['', 'any/file.ts', true],
    ['src/orders', 'src/orders/service.ts', true],
    ['src/orders', 'src/orders-old/service.ts', false],
    ['*.ts', 'src/deep/a.ts', true],
    ['*.ts', 'src/deep/a.tsx', false],
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['src/*.ts', 'src/x/a.ts', false],
    ['src/**', 'src/x/a.ts', true],
    ['*.{ts,py}', 'a/b.py', true],
    ['file?.txt', 'file1.txt', true],
    ['a+b/*.js', 'a+b/c.js', true],
    ['a+b/*.js', 'aab/c.js', false],
  ])('%s against %s is %s', (glob, relative, expected) => {
    expect(compileGlob(glob)(relative)).toBe(expected);
  });
});
