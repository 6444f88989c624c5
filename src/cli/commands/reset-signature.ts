/** @module `rounds reset-signature`: forgets a signature's current diagnosis so it is triaged and diagnosed afresh. */
import { Args, Command, Flags } from '@oclif/core';
import { loadConfigOrExit } from '../load-config.js';
import { withStore } from '../store-access.js';

export default class ResetSignature extends Command {
  static override summary = "Reset a signature's diagnosis: back to new, triaged and diagnosed afresh.";
  static override description =
    'The current diagnosis is set aside (the history keeps it, `show-signature --json` lists it), failed attempts, a mute or a resolve are cleared, and the next triage round decides again. Refused while a worker is diagnosing it.';
  static override examples = ['<%= config.bin %> reset-signature sig_4f2a9c1e8b7d6a50'];
  static override args = { id: Args.string({ description: 'signature id (sig_...)', required: true }) };
  static override flags = { json: Flags.boolean({ description: 'print the updated signature as JSON' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ResetSignature);
    const config = loadConfigOrExit(this).values;
    const signature = await withStore(this, config, (store) => store.resetDiagnosis(args.id, Date.now()));
    if (flags.json) this.log(JSON.stringify(signature, null, 2));
    else this.log(`reset ${signature.id}: status new, no current diagnosis`);
  }
}
