/** @module `rounds config`: prints the effective configuration, secrets masked. */
import { Command, Flags } from '@oclif/core';
import { configEntries, renderConfig } from '../config-view.js';
import { loadConfigOrExit } from '../load-config.js';

export default class Config extends Command {
  static override summary = 'Print the effective configuration (secrets masked) and where each value came from.';
  static override description =
    'Values come from the process environment first, then ./.env.rounds, then the defaults. An invalid ' +
    'configuration exits with code 2 and lists every problem.';
  static override flags = {
    json: Flags.boolean({ description: 'print JSON: [{variable, value, origin}]' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Config);
    const loaded = loadConfigOrExit(this);
    this.log(flags.json ? JSON.stringify(configEntries(loaded), null, 2) : renderConfig(loaded));
  }
}
