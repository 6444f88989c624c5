/** @module `rounds fingerprint`: fingerprints JSON Lines of events from stdin or a file, one JSON line out per event. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Flags } from '@oclif/core';
import { createFingerprinter } from '../../app.js';
import { fingerprintLine } from '../fingerprint-line.js';
import { loadConfigOrExit } from '../load-config.js';

export default class Fingerprint extends Command {
  static override summary = 'Fingerprint error events given as JSON Lines, without touching the store.';
  static override description =
    'Each input line is {"service", "error_type", "message", "stacktrace"?, "language"?, "operation"?, ' +
    '"attributes"?}. Each output line has the fingerprint, message_template and parsed frames (with in_app); ' +
    'with --explain, the components that went into the key. A bad line gives {"line": N, "error": ...} and ' +
    'processing continues; the exit code is 1 if any line was bad.';
  static override examples = [
    `echo '{"service":"api","error_type":"KeyError","message":"user 42 not found"}' | <%= config.bin %> fingerprint`,
    '<%= config.bin %> fingerprint --input events.jsonl --explain',
  ];
  static override flags = {
    input: Flags.file({ char: 'i', description: 'read events from this file instead of stdin', exists: true }),
    explain: Flags.boolean({ description: 'include which parts went into the key and why' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Fingerprint);
    const fingerprinter = createFingerprinter(loadConfigOrExit(this).values);
    const input = flags.input === undefined ? process.stdin : createReadStream(flags.input);
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNumber = 0;
    let bad = 0;
    for await (const text of lines) {
      lineNumber++;
      const output = fingerprintLine(fingerprinter, text, lineNumber, flags.explain);
      if (output === undefined) continue;
      if ('error' in output) bad++;
      if (!process.stdout.write(`${JSON.stringify(output)}\n`)) {
        await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    }
    if (bad > 0) {
      process.stderr.write(`${bad} of ${lineNumber} lines could not be fingerprinted\n`);
      this.exit(1);
    }
  }
}
