/** @module `rounds show-signature`: everything Rounds knows about one signature, including why it was (not) diagnosed. */
import { Args, Command, Flags } from '@oclif/core';
import { loadConfigOrExit } from '../load-config.js';
import { renderDetail } from '../signature-detail.js';
import { NOT_FOUND_EXIT_CODE, withStore } from '../store-access.js';

export default class ShowSignature extends Command {
  static override summary = 'Show one signature: facts, lifecycle, triage decisions, diagnoses and reports sent.';
  static override examples = [
    '<%= config.bin %> show-signature sig_4f2a9c1e8b7d6a50',
    '<%= config.bin %> show-signature sig_4f2a9c1e8b7d6a50 --json',
  ];
  static override args = { id: Args.string({ description: 'signature id (sig_...)', required: true }) };
  static override flags = {
    json: Flags.boolean({ description: 'print everything as one JSON object' }),
    samples: Flags.integer({ description: 'sample events to include with --json', default: 5, min: 0 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ShowSignature);
    const config = loadConfigOrExit(this).values;
    const detail = await withStore(this, config, async (store) => {
      const signature = await store.getSignature(args.id);
      if (!signature) return undefined;
      const [triageHistory, diagnoses, notifications, samples] = await Promise.all([
        store.listTriageHistory(args.id),
        store.listDiagnoses(args.id),
        store.listNotifications(args.id),
        flags.json && flags.samples > 0 ? store.listSamples(args.id, flags.samples) : Promise.resolve([]),
      ]);
      return { signature, triageHistory, diagnoses, notifications, samples };
    });
    if (!detail) this.error(`no signature with id "${args.id}"`, { exit: NOT_FOUND_EXIT_CODE });
    if (flags.json) this.log(JSON.stringify(detail, null, 2));
    else this.log(renderDetail(detail));
  }
}
