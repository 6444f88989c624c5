/** @module `rounds resolve`: marks a signature fixed, optionally in a release, so later occurrences regress it. */
import { Args, Command, Flags } from '@oclif/core';
import { loadConfigOrExit } from '../load-config.js';
import { withStore } from '../store-access.js';

export default class Resolve extends Command {
  static override summary = 'Mark a signature as fixed; occurrences after that reopen it as regressed.';
  static override description =
    `With --in-version, only occurrences from that release or newer regress it: an older release still running somewhere (a straggling pod) does not. Versions that look like SemVer compare numerically; others (commit SHAs) compare by the order the signature first saw them. A GitHub issue for the signature is closed by the daemon when it delivers the queued report.`;
  static override examples = [
    '<%= config.bin %> resolve sig_4f2a9c1e8b7d6a50',
    '<%= config.bin %> resolve sig_4f2a9c1e8b7d6a50 --in-version 1.4.2 --json',
  ];
  static override args = { id: Args.string({ description: 'signature id (sig_...)', required: true }) };
  static override flags = {
    'in-version': Flags.string({ description: 'the release (service.version) the fix shipped in' }),
    json: Flags.boolean({ description: 'print the updated signature as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resolve);
    const config = loadConfigOrExit(this).values;
    const inVersion = flags['in-version']?.trim();
    const signature = await withStore(this, config, (store) =>
      store.resolve(args.id, { at: Date.now(), ...(inVersion ? { inVersion } : {}) }),
    );
    if (flags.json) this.log(JSON.stringify(signature, null, 2));
    else this.log(`resolved ${signature.id}${inVersion ? ` in ${inVersion}` : ''}: ${signature.errorType}`);
  }
}
