/** @module `rounds unmute`: ends a mute now. */
import { Args, Command, Flags } from '@oclif/core';
import { loadConfigOrExit } from '../load-config.js';
import { withStore } from '../store-access.js';

export default class Unmute extends Command {
  static override summary = 'End a mute now; triage decides about the signature again.';
  static override examples = ['<%= config.bin %> unmute sig_4f2a9c1e8b7d6a50'];
  static override args = { id: Args.string({ description: 'signature id (sig_...)', required: true }) };
  static override flags = { json: Flags.boolean({ description: 'print the updated signature as JSON' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Unmute);
    const config = loadConfigOrExit(this).values;
    const signature = await withStore(this, config, (store) => store.unmute(args.id, Date.now()));
    if (flags.json) this.log(JSON.stringify(signature, null, 2));
    else this.log(`unmuted ${signature.id}`);
  }
}
