/** @module CodebaseReader over node:fs: the production reader, read-only by construction. */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import type { CodebaseReader, DirectoryEntry, EntryKind, FileFacts } from './codebase-reader.js';

export function nodeCodebaseReader(): CodebaseReader {
  return {
    realPath: (path) => realpath(path),
    async listDirectory(path): Promise<DirectoryEntry[]> {
      const entries = await readdir(path, { withFileTypes: true });
      return entries
        .map((entry) => {
          let kind: EntryKind = 'other';
          if (entry.isSymbolicLink()) kind = 'symlink';
          else if (entry.isDirectory()) kind = 'directory';
          else if (entry.isFile()) kind = 'file';
          return { name: entry.name, kind };
        })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async stat(path): Promise<FileFacts> {
      const facts = await stat(path);
      let kind: FileFacts['kind'] = 'other';
      if (facts.isDirectory()) kind = 'directory';
      else if (facts.isFile()) kind = 'file';
      return { kind, sizeBytes: facts.size };
    },
    readText: (path) => readFile(path, 'utf8'),
  };
}
