/** @module Tests for `search_code`: what it finds, what it skips, its bounds, and a pattern that never finishes. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodebaseRoot } from './codebase-root.js';
import { SEARCH_LIMITS, type SearchLimits, searchCodeTool } from './search-code.js';
import { createTestCodebase, type TestCodebase } from './testing/codebase.js';

let codebase: TestCodebase;

beforeAll(async () => {
  codebase = await createTestCodebase();
});
afterAll(async () => {
  await codebase.remove();
});

const search = (input: unknown, limits: Partial<SearchLimits> = {}) =>
  searchCodeTool(new CodebaseRoot(codebase.root), (text) => text, { ...SEARCH_LIMITS, ...limits }).run(input);

describe('search_code', () => {
  it('finds a literal in source files and skips dependencies, build output, .git, secrets, binaries and outside links', async () => {
    const result = await search({ query: 'items.length' });
    expect(result.isError).toBe(false);
    expect(result.content.split('\n')).toEqual([
      '2 matches in 2 files (6 searched):',
      'README.md:2: items.length is checked nowhere',
      'src/orders/service.ts:42: return total / items.length; // divides by zero for an empty cart',
    ]);
  });

  it('is case-insensitive unless asked otherwise', async () => {
    expect((await search({ query: 'VALUEERROR' })).content).toContain('src/payments/charge.py:2:');
    expect((await search({ query: 'VALUEERROR', case_sensitive: true })).content).toMatch(/^no matches/);
  });

  it('matches regular expressions', async () => {
    const result = await search({ query: 'def \\w+\\(amount\\)', regex: true });
    expect(result.content).toContain('src/payments/charge.py:1: def charge(amount):');
  });

  it('filters by directory, by file name and by a path glob', async () => {
    expect((await search({ query: 'total', path_glob: 'src/orders' })).content).toContain('(2 searched)');
    // src/charge-link.py is a symlink: the walk never follows links, so the target is searched once.
    expect((await search({ query: 'charge', path_glob: '*.py' })).content.split('\n')).toEqual([
      '1 matches in 1 files (1 searched):',
      'src/payments/charge.py:1: def charge(amount):',
    ]);
    const tests = await search({ query: 'total', path_glob: 'src/**/*.test.ts' });
    expect(tests.content.split('\n').slice(1)).toEqual([
      'src/orders/service.test.ts:1: it("totals", () => expect(total([])).toBe(0));',
    ]);
  });

  it('stops at the result limit and says how to narrow the search', async () => {
    const result = await search({ query: 'const line' }, { maxResults: 3 });
    const lines = result.content.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.at(-1)).toBe('(stopped at 3 matches: narrow the query or the path_glob)');
  });

  it('refuses an invalid regular expression with the reason', async () => {
    const result = await search({ query: '(unclosed', regex: true });
    expect(result).toMatchObject({ isError: true, content: expect.stringMatching(/invalid regular expression/) });
  });

  it('stops a catastrophically backtracking pattern at the time limit without stalling the process', async () => {
    await writeFile(path.join(codebase.root, 'src/evil.txt'), `${'a'.repeat(40)}!\n`);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = Date.now();
    const result = await search({ query: '^(a+)+$', regex: true, path_glob: 'src/evil.txt' }, { timeLimitMs: 300 });
    clearInterval(ticker);
    expect(result.isError).toBe(false);
    expect(result.content).toContain('(stopped after 0.3s: simplify the pattern or narrow the path_glob)');
    expect(Date.now() - started).toBeLessThan(3_000);
    // The event loop kept running while the worker backtracked.
    expect(ticks).toBeGreaterThan(5);
  });

  it('rejects an empty query', async () => {
    expect((await search({ query: '' })).isError).toBe(true);
  });
});
