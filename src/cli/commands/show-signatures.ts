/** @module `rounds show-signatures`: lists the signatures in the store. */
import { existsSync } from 'node:fs';
import { Command, Flags } from '@oclif/core';
import { createStore } from '../../app.js';
import { SIGNATURE_STATUSES } from '../../domain/index.js';
import type { SignatureOrder } from '../../ports/index.js';
import { signatureTable } from '../format.js';
import { loadConfigOrExit } from '../load-config.js';

const ORDERS: readonly SignatureOrder[] = ['last_seen', 'first_seen', 'occurrences'];

export default class ShowSignatures extends Command {
  static override summary = 'List known error signatures, most recently seen first.';
  static override examples = [
    '<%= config.bin %> show-signatures',
    '<%= config.bin %> show-signatures --status new --service checkout --json',
  ];
  static override flags = {
    json: Flags.boolean({ description: 'print the signatures as a JSON array' }),
    status: Flags.string({ description: 'only signatures in this status', options: [...SIGNATURE_STATUSES] }),
    service: Flags.string({ description: 'only signatures seen in this service' }),
    sort: Flags.string({ description: 'order', options: [...ORDERS], default: 'last_seen' }),
    limit: Flags.integer({ description: 'at most this many', default: 100, min: 1 }),
    offset: Flags.integer({ description: 'skip this many first', default: 0, min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ShowSignatures);
    const config = loadConfigOrExit(this).values;
    if (
      config.STORE_BACKEND === 'sqlite' &&
      config.STORE_SQLITE_PATH !== ':memory:' &&
      !existsSync(config.STORE_SQLITE_PATH)
    ) {
      // A read command must not create an empty database where the user expected theirs.
      if (flags.json) this.log('[]');
      else
        this.log(`no signature store at ${config.STORE_SQLITE_PATH} yet (the daemon creates it when it first starts)`);
      return;
    }
    const store = createStore(config);
    await store.open();
    try {
      const signatures = await store.listSignatures({
        ...(flags.status === undefined ? {} : { status: flags.status as (typeof SIGNATURE_STATUSES)[number] }),
        ...(flags.service === undefined ? {} : { service: flags.service }),
        orderBy: flags.sort as SignatureOrder,
        limit: flags.limit,
        offset: flags.offset,
      });
      if (flags.json) this.log(JSON.stringify(signatures, null, 2));
      else if (signatures.length === 0) this.log('no signatures match');
      else this.log(signatureTable(signatures));
    } finally {
      await store.close();
    }
  }
}
