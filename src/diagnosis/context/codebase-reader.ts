/** @module The only way evidence assembly touches the disk: a small read-only interface, injected. */

export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

export interface DirectoryEntry {
  readonly name: string;
  /** What the entry itself is; a symlink is reported as `symlink`, not as what it points to. */
  readonly kind: EntryKind;
}

export interface FileFacts {
  /** What the path is after following symlinks. */
  readonly kind: Exclude<EntryKind, 'symlink'>;
  readonly sizeBytes: number;
}

/**
 * Read-only access to the monitored codebase. Paths are absolute paths of the host OS. Every method rejects
 * when the path does not exist or cannot be read; callers turn that into a reason, never into a crash.
 */
export interface CodebaseReader {
  /** The canonical absolute path: symlinks, `.` and `..` resolved. */
  realPath(path: string): Promise<string>;
  /** Entries of a directory, sorted by name, without following symlinks. */
  listDirectory(path: string): Promise<DirectoryEntry[]>;
  /** Facts about a path, following symlinks. */
  stat(path: string): Promise<FileFacts>;
  /** The file's content as UTF-8 text. */
  readText(path: string): Promise<string>;
}
