/** @module The SignatureStore contract: one behavioural suite every store implementation must pass. */
import { afterEach, beforeEach, describe, it } from 'vitest';
import type { SignatureStore } from '../ports/index.js';
import { ingestCases } from './testing/ingest.contract.js';
import { recordCases } from './testing/records.contract.js';
import { traceCases } from './testing/traces.contract.js';
import { workflowCases } from './testing/workflow.contract.js';

export interface StoreUnderTest {
  /** An opened, empty store built with the default sample limits (20 per signature, 5 per batch). */
  readonly store: SignatureStore;
  /** Closes whichever store is current and removes everything the factory created. */
  readonly cleanup: () => Promise<void>;
  /** Durable stores only: closes the current store and opens a new one on the same data. */
  readonly reopen?: () => Promise<SignatureStore>;
}

export interface ContractOptions {
  /** Test name -> why this store cannot honour it (yet). */
  readonly skip?: Record<string, string>;
}

/** What the cases see: always the current store, which changes when a case reopens it. */
export interface ContractContext {
  readonly store: SignatureStore;
  readonly durable: boolean;
  reopen(): Promise<void>;
}

/** Registers one case; `skip` ends it as skipped, for cases that need something this store lacks. */
export type ContractTest = (title: string, body: (skip: (note: string) => never) => Promise<void>) => void;

export function runSignatureStoreContract(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
  options: ContractOptions = {},
): void {
  describe(`SignatureStore contract: ${name}`, () => {
    let sut: StoreUnderTest | undefined;
    let current: SignatureStore | undefined;

    beforeEach(async () => {
      sut = await makeStore();
      current = sut.store;
    });
    afterEach(async () => {
      await sut?.cleanup();
      sut = undefined;
      current = undefined;
    });

    const ctx: ContractContext = {
      get store() {
        if (!current) throw new Error('the contract store is only available inside a test');
        return current;
      },
      get durable() {
        return sut?.reopen !== undefined;
      },
      async reopen() {
        if (!sut?.reopen) throw new Error(`${name} cannot reopen: its factory returned no reopen()`);
        current = await sut.reopen();
      },
    };

    const test: ContractTest = (title, body) => {
      const reason = options.skip?.[title];
      if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, () => {});
      else it(title, async (vitest) => body((note) => vitest.skip(note)));
    };

    ingestCases(test, ctx);
    recordCases(test, ctx);
    traceCases(test, ctx);
    workflowCases(test, ctx);
  });
}
