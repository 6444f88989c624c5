/** @module `rounds run`: starts the mode RUN_MODE names; what `npm start` and the container entrypoint call. */
import { Command } from '@oclif/core';
import { loadConfigOrExit } from '../load-config.js';

export default class Run extends Command {
  static override summary = 'Start the mode named by RUN_MODE (daemon by default).';
  static override description =
    'RUN_MODE=daemon runs `rounds daemon`; RUN_MODE=cli prints the available commands so you can run them ' +
    'directly. The webhook mode arrives with the webhook server.';

  async run(): Promise<void> {
    const mode = loadConfigOrExit(this).values.RUN_MODE;
    if (mode === 'daemon') {
      await this.config.runCommand('daemon', this.argv);
      return;
    }
    if (mode === 'cli') {
      await this.config.runCommand('help', []);
      return;
    }
    this.error('RUN_MODE=webhook: the webhook server is not part of this build yet; use RUN_MODE=daemon', { exit: 2 });
  }
}
