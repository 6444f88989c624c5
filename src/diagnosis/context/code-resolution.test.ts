import { afterEach, describe, expect, it } from 'vitest';
import type { StackFrame } from '../../domain/index.js';
import { type CodebaseAccess, resolveFrameCode } from './code-resolution.js';
import { buildCodebaseIndex } from './codebase-index.js';
import { nodeCodebaseReader } from './node-codebase-reader.js';
import { faultyReader, tempTree } from './testdata/helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const frame = (file: string, line?: number, module?: string): StackFrame => ({
  file,
  ...(line === undefined ? {} : { line }),
  ...(module ? { module } : {}),
  function: 'f',
  inApp: true,
});

async function codebaseWith(
  files: Parameters<typeof tempTree>[0],
  reader = nodeCodebaseReader(),
  maxFiles?: number,
): Promise<CodebaseAccess> {
  const t = tempTree(files);
  cleanups.push(t.cleanup);
  return { reader, index: await buildCodebaseIndex(reader, t.root, maxFiles === undefined ? {} : { maxFiles }) };
}

describe('resolveFrameCode', () => {
  it('refuses a frame whose matched file is a symlink leading outside the codebase, and never shows its content', async () => {
    const outside = tempTree({ id_rsa: '-----BEGIN OPENSSH PRIVATE KEY-----' });
    cleanups.push(outside.cleanup);
    const codebase = await codebaseWith({ 'src/handler.py': { link: `${outside.root}/id_rsa` } });
    const result = await resolveFrameCode([frame('/app/src/handler.py', 1)], codebase);
    expect(result.snippets).toEqual([]);
    expect(result.unresolved[0]).toMatchObject({ reason: 'outside-codebase', file: '/app/src/handler.py' });
    expect(JSON.stringify(result)).not.toContain('PRIVATE KEY');
  });

  it('cannot be walked out of the root by .. in a frame path', async () => {
    const outside = tempTree({ passwd: 'root:x:0:0' });
    cleanups.push(outside.cleanup);
    const codebase = await codebaseWith({ 'app.py': 'x' });
    const result = await resolveFrameCode(
      [frame(`/app/../../../../${outside.root}/passwd`, 1), frame('../../../../etc/passwd', 1)],
      codebase,
    );
    expect(result.snippets).toEqual([]);
    expect(result.unresolved.map((u) => u.reason)).toEqual(['not-found', 'not-found']);
    expect(JSON.stringify(result)).not.toContain('root:x');
  });

  it('reports weak and not-found matches, and a truncated index in the reason', async () => {
    const codebase = await codebaseWith({ 'lib/utils.py': 'x', 'a.py': '', 'b.py': '' }, nodeCodebaseReader(), 2);
    const result = await resolveFrameCode([frame('/app/orders/utils.py', 1), frame('/app/missing.py', 1)], codebase);
    expect(result.unresolved.map((u) => u.reason)).toEqual(['not-found', 'not-found']);
    const full = await codebaseWith({ 'lib/utils.py': 'x' });
    const weak = await resolveFrameCode([frame('/app/orders/utils.py', 1), frame('/app/missing.py', 1)], full);
    expect(weak.unresolved[0]).toMatchObject({ reason: 'weak-match', candidates: ['lib/utils.py'] });
    expect(weak.unresolved[0]?.detail).toContain('(orders) do not');
    expect(weak.unresolved[1]).toMatchObject({
      reason: 'not-found',
      detail: 'no file named missing.py in the codebase',
    });
    expect(result.unresolved[1]?.detail).toContain('index is truncated');
  });

  it('turns read failures into unresolved frames instead of throwing', async () => {
    const codebase = await codebaseWith(
      { 'src/a.py': 'x\n', 'src/big.py': 'y'.repeat(5000) },
      faultyReader({ read: ['a.py'] }),
    );
    const result = await resolveFrameCode([frame('/app/src/a.py', 1), frame('/app/src/big.py', 1)], codebase, {
      maxFileBytes: 1000,
    });
    expect(result.unresolved.map((u) => u.reason)).toEqual(['unreadable', 'too-large']);
  });

  it('lists runtime and dependency frames with their reason, once each', async () => {
    const codebase = await codebaseWith({ 'a.py': '' });
    const result = await resolveFrameCode(
      [
        frame('node:internal/timers', 5),
        frame('node:internal/timers', 5),
        frame('/app/node_modules/x/index.js', 2),
        { inApp: true },
      ],
      codebase,
    );
    expect(result.unresolved.map((u) => u.reason)).toEqual(['runtime-internal', 'dependency', 'no-file']);
  });

  it('says how a package-style or name-only match was made', async () => {
    const codebase = await codebaseWith({
      'svc/src/main/java/com/acme/Cart.java': 'class Cart {}\n',
      'main.py': 'print()\n',
    });
    const result = await resolveFrameCode(
      [frame('Cart.java', 1, 'com.acme.Cart'), frame('/opt/svc/main.py', 1)],
      codebase,
    );
    expect(result.snippets.map((s) => [s.path, s.notes])).toEqual([
      ['svc/src/main/java/com/acme/Cart.java', ['matched by package and file name']],
      ['main.py', ['matched by file name only']],
    ]);
  });

  it('shows the start of a file for a frame without a line number', async () => {
    const codebase = await codebaseWith({ 'src/a.py': 'one\ntwo\n' });
    const result = await resolveFrameCode([frame('/app/src/a.py')], codebase);
    expect(result.snippets[0]).toMatchObject({ path: 'src/a.py', focusLines: [], totalLines: 2 });
    expect(result.snippets[0]?.notes.join()).toContain('no line number');
  });
});
