/** @module A small codebase on disk for the code-tool tests: source, dependencies, secrets, links in and out. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCodebase {
  /** The codebase root. */
  readonly root: string;
  /** A directory beside the root holding a file the tools must never reach. */
  readonly outside: string;
  remove(): Promise<void>;
}

export const SERVICE_LINES = Array.from({ length: 60 }, (_, i) =>
  i === 41 ? '  return total / items.length; // divides by zero for an empty cart' : `  const line${i + 1} = ${i + 1};`,
);

export async function createTestCodebase(): Promise<TestCodebase> {
  const base = await mkdtemp(path.join(tmpdir(), 'rounds-tools-'));
  const root = path.join(base, 'app');
  const outside = path.join(base, 'outside');
  const files: Record<string, string | Buffer> = {
    'src/orders/service.ts': `${SERVICE_LINES.join('\n')}\n`,
    'src/orders/service.test.ts': 'it("totals", () => expect(total([])).toBe(0));\n',
    'src/payments/charge.py': 'def charge(amount):\n    raise ValueError("negative amount")\n',
    'src/minified.js': `${'x'.repeat(5_000)}\n`,
    'README.md': '# app\nitems.length is checked nowhere\n',
    'node_modules/lib/index.js': 'module.exports = items.length;\n',
    'dist/bundle.js': 'items.length\n',
    '.git/config': '[remote "origin"]\n  url = https://user:items.length@example.invalid/repo\n',
    '.env': 'DATABASE_PASSWORD=items.length-hunter2\n',
    '.env.example': 'DATABASE_PASSWORD=\n',
    'keys/server.pem': '-----BEGIN PRIVATE KEY----- items.length\n',
    'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x69, 0x74, 0x65, 0x6d, 0x73]),
  };
  for (const [relative, content] of Object.entries(files)) {
    const absolute = path.join(root, relative);
    await mkdir(path.dirname(absolute), { recursive: true });
    await writeFile(absolute, content);
  }
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'secret.txt'), 'items.length outside the root\n');
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'src/escape.txt'));
  await symlink(outside, path.join(root, 'src/escape-dir'));
  await symlink(path.join(root, 'src/payments/charge.py'), path.join(root, 'src/charge-link.py'));
  return { root, outside, remove: () => rm(base, { recursive: true, force: true }) };
}
