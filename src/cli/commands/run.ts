/** @module `rounds run`: starts the mode RUN_MODE names; what the container entrypoint calls. */
import { Command } from '@oclif/core';
import { runInteractive } from '../interactive.js';
import { loadConfigOrExit } from '../load-config.js';

export default class Run extends Command {
  static override summary = 'Start the mode named by RUN_MODE: daemon (the default), cli or webhook.';
  static override description =
    'RUN_MODE=daemon runs `rounds daemon`; RUN_MODE=cli opens an interactive prompt that runs commands such as `show-signatures` or `diagnose-signature <id>` one line at a time (it also reads a script from stdin and ends at EOF or `exit`). RUN_MODE=webhook runs `rounds webhook`, the HTTP server that diagnoses on request (docs/webhook.md).';

  async run(): Promise<void> {
    const mode = loadConfigOrExit(this).values.RUN_MODE;
    if (mode === 'daemon') {
      await this.config.runCommand('daemon', this.argv);
      return;
    }
    if (mode === 'cli') {
      const failures = await runInteractive(this.config, {
        input: process.stdin,
        output: process.stdout,
        prompt: process.stdin.isTTY === true,
      });
      // A script fed on stdin says whether every command worked; a person at a prompt has seen the errors.
      if (failures > 0 && process.stdin.isTTY !== true) this.exit(1);
      return;
    }
    await this.config.runCommand('webhook', this.argv);
  }
}
