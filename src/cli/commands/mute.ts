/** @module `rounds mute`: stops triage and reports for a signature, for a while or for good. */
import { Args, Command, Flags } from '@oclif/core';
import type { Mute } from '../../domain/index.js';
import { loadConfigOrExit } from '../load-config.js';
import { parseDuration, withStore } from '../store-access.js';

export default class MuteCommand extends Command {
  static override summary = 'Mute a signature: no diagnosis and no reports until the mute ends.';
  static override description =
    `A mute ends at --until / after --for, or after --occurrences further occurrences, whichever comes first; without either it lasts until \`rounds unmute\`. Occurrences are still counted.`;
  static override examples = [
    '<%= config.bin %> mute sig_4f2a9c1e8b7d6a50 --reason "known flaky upstream" --for 7d',
    '<%= config.bin %> mute sig_4f2a9c1e8b7d6a50 --occurrences 1000',
    '<%= config.bin %> mute sig_4f2a9c1e8b7d6a50 --until 2026-12-24T00:00:00Z --json',
  ];
  static override args = { id: Args.string({ description: 'signature id (sig_...)', required: true }) };
  static override flags = {
    reason: Flags.string({ description: 'why it is muted (shown by show-signature)' }),
    for: Flags.string({ description: 'mute for a duration: 30m, 12h, 7d, 2w', exclusive: ['until'] }),
    until: Flags.string({ description: 'mute until this ISO-8601 time', exclusive: ['for'] }),
    occurrences: Flags.integer({ description: 'end the mute after this many further occurrences', min: 1 }),
    json: Flags.boolean({ description: 'print the updated signature as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MuteCommand);
    const config = loadConfigOrExit(this).values;
    const now = Date.now();
    let until: number | undefined;
    if (flags.for !== undefined) {
      const duration = parseDuration(flags.for);
      if (duration === undefined) this.error(`--for "${flags.for}": expected a duration like 30m, 12h, 7d or 2w`);
      until = now + duration;
    } else if (flags.until !== undefined) {
      until = Date.parse(flags.until);
      if (Number.isNaN(until))
        this.error(`--until "${flags.until}": expected an ISO-8601 time like 2026-12-24T00:00:00Z`);
      if (until <= now) this.error(`--until ${flags.until} is in the past`);
    }
    const mute: Mute = {
      mutedAt: now,
      ...(flags.reason?.trim() ? { reason: flags.reason.trim() } : {}),
      ...(until === undefined ? {} : { until }),
      ...(flags.occurrences === undefined ? {} : { remainingOccurrences: flags.occurrences }),
    };
    const signature = await withStore(this, config, (store) => store.mute(args.id, mute));
    if (flags.json) {
      this.log(JSON.stringify(signature, null, 2));
      return;
    }
    const ends = [
      until === undefined ? undefined : `at ${new Date(until).toISOString()}`,
      flags.occurrences === undefined ? undefined : `after ${flags.occurrences} more occurrences`,
    ].filter(Boolean);
    this.log(`muted ${signature.id}${ends.length > 0 ? ` until ${ends.join(' or ')}` : ' until unmuted'}`);
  }
}
