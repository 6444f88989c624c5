/** @module `rounds tag`: adds or removes tags; `critical` raises triage priority and always reports, `flaky` lowers it. */
import { Args, Command, Flags } from '@oclif/core';
import { loadConfigOrExit } from '../load-config.js';
import { withStore } from '../store-access.js';

export default class Tag extends Command {
  static override summary = 'Add or remove tags on a signature.';
  static override description =
    `Tags are free text. Two mean something to triage: \`critical\` raises priority and reports every diagnosis whatever its confidence; \`flaky\` lowers priority.`;
  static override examples = [
    '<%= config.bin %> tag sig_4f2a9c1e8b7d6a50 --add critical',
    '<%= config.bin %> tag sig_4f2a9c1e8b7d6a50 --remove flaky --add team:payments',
  ];
  static override args = { id: Args.string({ description: 'signature id (sig_...)', required: true }) };
  static override flags = {
    add: Flags.string({ description: 'tag to add (repeatable)', multiple: true, default: [] }),
    remove: Flags.string({ description: 'tag to remove (repeatable)', multiple: true, default: [] }),
    json: Flags.boolean({ description: 'print the updated signature as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Tag);
    const config = loadConfigOrExit(this).values;
    const clean = (tags: string[]) => tags.map((t) => t.trim()).filter((t) => t !== '');
    const add = clean(flags.add);
    const remove = new Set(clean(flags.remove));
    if (add.length === 0 && remove.size === 0) this.error('nothing to do: give --add and/or --remove');
    const signature = await withStore(this, config, async (store) => {
      const current = await store.getSignature(args.id);
      if (!current) return store.setTags(args.id, []); // lets the store raise its not-found error
      return store.setTags(args.id, [...current.tags.filter((t) => !remove.has(t)), ...add]);
    });
    if (flags.json) this.log(JSON.stringify(signature, null, 2));
    else this.log(`${signature.id} tags: ${signature.tags.join(', ') || '(none)'}`);
  }
}
