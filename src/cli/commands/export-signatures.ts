/** @module `rounds export-signatures`: every signature with its diagnosis history, as JSON, for backups and analysis. */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { Command, Flags } from '@oclif/core';
import { loadConfigOrExit } from '../load-config.js';
import { withStore } from '../store-access.js';

const PAGE = 500;

export default class ExportSignatures extends Command {
  static override summary = 'Export every signature, with its diagnoses and samples, as JSON.';
  static override description =
    'Writes one JSON array (or JSON Lines with --jsonl) to stdout or --output, paging through the store so a large store never has to fit in memory. Progress goes to stderr when writing to a file.';
  static override examples = [
    '<%= config.bin %> export-signatures > signatures.json',
    '<%= config.bin %> export-signatures --jsonl --samples 5 --output /backup/signatures.jsonl',
  ];
  static override flags = {
    output: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
    jsonl: Flags.boolean({ description: 'one signature per line instead of one array' }),
    samples: Flags.integer({ description: 'sample events to include per signature', default: 0, min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ExportSignatures);
    const config = loadConfigOrExit(this).values;
    const out = flags.output ? createWriteStream(flags.output) : process.stdout;
    const write = async (text: string) => {
      if (!out.write(text)) await once(out, 'drain');
    };
    const count = await withStore(this, config, async (store) => {
      const total = await store.countSignatures();
      let written = 0;
      if (!flags.jsonl) await write('[');
      for (let offset = 0; offset < total; offset += PAGE) {
        const page = await store.listSignatures({ orderBy: 'first_seen', limit: PAGE, offset });
        for (const signature of page) {
          const record = {
            ...signature,
            diagnoses: await store.listDiagnoses(signature.id),
            ...(flags.samples > 0 ? { samples: await store.listSamples(signature.id, flags.samples) } : {}),
          };
          const json = JSON.stringify(record);
          await write(flags.jsonl ? `${json}\n` : `${written === 0 ? '\n' : ',\n'}${json}`);
          written++;
        }
        if (flags.output) process.stderr.write(`exported ${written} of ${total}\n`);
      }
      if (!flags.jsonl) await write(written === 0 ? ']\n' : '\n]\n');
      return written;
    });
    if (flags.output) {
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      process.stderr.write(`wrote ${count} signatures to ${flags.output}\n`);
    }
  }
}
