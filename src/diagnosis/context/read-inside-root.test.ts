import { afterEach, describe, expect, it } from 'vitest';
import { nodeCodebaseReader } from './node-codebase-reader.js';
import { isUnder, readInsideRoot } from './read-inside-root.js';
import { faultyReader, tempTree } from './testdata/helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
const reader = nodeCodebaseReader();

async function setup() {
  const outside = tempTree({ 'secret.env': 'API_KEY=outside-secret' });
  const codebase = tempTree({
    'src/app.py': 'print("hi")\n',
    'src/leak.py': { link: `${outside.root}/secret.env` },
    'src/inner.py': { link: 'app.py' },
    'big.txt': 'x'.repeat(2000),
    'blob.bin': 'a\u0000b',
    'pkg/readme': '',
  });
  cleanups.push(outside.cleanup, codebase.cleanup);
  return { root: await reader.realPath(codebase.root), outside: outside.root };
}

describe('readInsideRoot', () => {
  it('reads a file inside the root, and a symlink that stays inside', async () => {
    const { root } = await setup();
    expect(await readInsideRoot(reader, root, 'src/app.py', 1000)).toEqual({ ok: true, text: 'print("hi")\n' });
    expect(await readInsideRoot(reader, root, 'src/inner.py', 1000)).toMatchObject({ ok: true });
  });

  it('refuses .. and absolute paths without touching the disk', async () => {
    const { root, outside } = await setup();
    for (const path of [
      '../x',
      'src/../../secret.env',
      `${outside}/secret.env`,
      'C:/Windows/win.ini',
      'src\\..\\..\\x',
    ]) {
      const result = await readInsideRoot(reader, root, path, 1000);
      expect(result, path).toMatchObject({ ok: false, reason: 'outside-codebase' });
    }
  });

  it('refuses a symlink that leads outside the root and never returns its content', async () => {
    const { root } = await setup();
    const result = await readInsideRoot(reader, root, 'src/leak.py', 1000);
    expect(result).toMatchObject({ ok: false, reason: 'outside-codebase' });
    expect(JSON.stringify(result)).not.toContain('outside-secret');
  });

  it('refuses files over the size cap, binary files and directories', async () => {
    const { root } = await setup();
    expect(await readInsideRoot(reader, root, 'big.txt', 1000)).toMatchObject({ ok: false, reason: 'too-large' });
    expect(await readInsideRoot(reader, root, 'blob.bin', 1000)).toMatchObject({ ok: false, reason: 'binary' });
    expect(await readInsideRoot(reader, root, 'pkg', 1000)).toMatchObject({ ok: false, reason: 'not-a-file' });
  });

  it('reports a missing or unreadable file as unreadable, with the OS code', async () => {
    const { root } = await setup();
    expect(await readInsideRoot(reader, root, 'nope.py', 1000)).toMatchObject({ ok: false, reason: 'unreadable' });
    const failing = await readInsideRoot(faultyReader({ read: ['app.py'] }), root, 'src/app.py', 1000);
    expect(failing).toMatchObject({ ok: false, reason: 'unreadable' });
    if (!failing.ok) expect(failing.detail).toContain('EACCES');
  });
});

describe('isUnder', () => {
  it('is true only strictly below the root', () => {
    expect(isUnder('/code', '/code/a.py')).toBe(true);
    expect(isUnder('/code', '/code')).toBe(false);
    expect(isUnder('/code', '/codebase/a.py')).toBe(false);
    expect(isUnder('/code', '/etc/passwd')).toBe(false);
    expect(isUnder('/code', '/code/..hidden')).toBe(true);
  });
});
