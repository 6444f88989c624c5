import { afterEach, describe, expect, it } from 'vitest';
import { RoundsError } from '../../domain/index.js';
import { buildCodebaseIndex } from './codebase-index.js';
import { nodeCodebaseReader } from './node-codebase-reader.js';
import { openCodebase } from './open-codebase.js';
import { faultyReader, tempTree } from './testdata/helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
const tree = (files: Parameters<typeof tempTree>[0]) => {
  const t = tempTree(files);
  cleanups.push(t.cleanup);
  return t.root;
};

describe('buildCodebaseIndex', () => {
  it('indexes source files by name and skips dependency, build and hidden directories', async () => {
    const root = tree({
      'src/app.py': '',
      'src/lib/app.py': '',
      'node_modules/express/index.js': '',
      'vendor/x/y.go': '',
      'dist/app.js': '',
      'build/out.js': '',
      '.git/config': '',
      '.venv/lib/site.py': '',
      'web/index.js': '',
    });
    const index = await buildCodebaseIndex(nodeCodebaseReader(), root);
    expect(index.fileCount).toBe(3);
    expect(index.filesNamed('app.py')).toEqual(['src/app.py', 'src/lib/app.py']);
    expect(index.filesNamed('index.js')).toEqual(['web/index.js']);
    expect(index.filesNamed('app.js')).toEqual([]);
    expect(index.truncated).toBe(false);
    expect(index.notes).toEqual([]);
  });

  it('stops at the file cap, breadth-first, and says so', async () => {
    const root = tree({ 'a.py': '', 'b.py': '', 'deep/c.py': '', 'deep/d.py': '' });
    const index = await buildCodebaseIndex(nodeCodebaseReader(), root, { maxFiles: 3 });
    expect(index.fileCount).toBe(3);
    expect(index.truncated).toBe(true);
    expect(index.filesNamed('a.py')).toEqual(['a.py']);
    expect(index.filesNamed('d.py')).toEqual([]);
    expect(index.notes.join()).toContain('only the first 3 files');
  });

  it('honours extra skipped directories and the depth limit', async () => {
    const root = tree({ 'generated/x.py': '', 'a/b/c/deep.py': '', 'top.py': '' });
    const index = await buildCodebaseIndex(nodeCodebaseReader(), root, { skipDirectories: ['generated'], maxDepth: 2 });
    expect(index.filesNamed('x.py')).toEqual([]);
    expect(index.filesNamed('deep.py')).toEqual([]);
    expect(index.notes.join()).toContain('deeper than 2 levels');
  });

  it('indexes symlinked files but does not follow symlinked directories (no cycles, nothing outside)', async () => {
    const outside = tree({ 'secret.py': 'TOKEN = 1' });
    const root = tree({
      'src/real.py': '',
      'src/alias.py': { link: 'real.py' },
      loop: { link: '.' },
      ext: { link: outside },
    });
    const index = await buildCodebaseIndex(nodeCodebaseReader(), root);
    expect(index.filesNamed('alias.py')).toEqual(['src/alias.py']);
    expect(index.filesNamed('secret.py')).toEqual([]);
    expect(index.notes.join()).toContain('2 symlinked director(ies) were not followed');
  });

  it('resolves a symlinked root to its real path', async () => {
    const real = tree({ 'main.py': '' });
    const holder = tree({ link: { link: real } });
    const index = await buildCodebaseIndex(nodeCodebaseReader(), `${holder}/link`);
    expect(index.root).toBe(await nodeCodebaseReader().realPath(real));
    expect(index.filesNamed('main.py')).toEqual(['main.py']);
  });

  it('notes an unreadable directory and goes on', async () => {
    const root = tree({ 'ok/a.py': '', 'locked/b.py': '' });
    const index = await buildCodebaseIndex(faultyReader({ list: ['/locked'] }), root);
    expect(index.filesNamed('a.py')).toEqual(['ok/a.py']);
    expect(index.notes).toContain('1 directory could not be read');
  });

  it('throws ROUNDS_INVALID_CONFIG for a missing root or a root that is a file', async () => {
    const root = tree({ 'file.txt': '' });
    for (const path of [`${root}/missing`, `${root}/file.txt`]) {
      const error = await buildCodebaseIndex(nodeCodebaseReader(), path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RoundsError);
      expect((error as RoundsError).code).toBe('ROUNDS_INVALID_CONFIG');
    }
  });

  it('openCodebase rejects the same way for a missing path', async () => {
    await expect(openCodebase('/definitely/not/a/codebase')).rejects.toMatchObject({ code: 'ROUNDS_INVALID_CONFIG' });
  });
});
