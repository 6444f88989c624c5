/** @module How commands reach the store: opened for one command, closed after, with clear errors for users. */
import { existsSync } from 'node:fs';
import type { Command } from '@oclif/core';
import { createStore } from '../app.js';
import type { EnvConfig } from '../config/index.js';
import { RoundsError } from '../domain/index.js';
import type { SignatureStore } from '../ports/index.js';

/** Exit code for a well-formed command about something that is not there (unknown id). */
export const NOT_FOUND_EXIT_CODE = 3;
/** Exit code for a change the lifecycle forbids (resolving a resolved signature). */
export const REFUSED_EXIT_CODE = 4;

/** True when the configured store cannot hold anything yet: read and write commands must not create it. */
export function storeMissing(config: Readonly<EnvConfig>): boolean {
  return (
    config.STORE_BACKEND === 'sqlite' &&
    config.STORE_SQLITE_PATH !== ':memory:' &&
    !existsSync(config.STORE_SQLITE_PATH)
  );
}

/** Opens the store, runs `work`, closes it; domain errors become one-line messages with distinct exit codes. */
export async function withStore<T>(
  command: Command,
  config: Readonly<EnvConfig>,
  work: (store: SignatureStore) => Promise<T>,
): Promise<T> {
  if (storeMissing(config)) {
    command.error(
      `no signature store at ${config.STORE_SQLITE_PATH} yet (the daemon creates it when it first starts)`,
      {
        exit: NOT_FOUND_EXIT_CODE,
      },
    );
  }
  const store = createStore(config);
  await store.open();
  try {
    return await work(store);
  } catch (error) {
    if (error instanceof RoundsError && error.code === 'ROUNDS_NOT_FOUND') {
      command.error(error.message, { exit: NOT_FOUND_EXIT_CODE });
    }
    if (error instanceof RoundsError && error.code === 'ROUNDS_ILLEGAL_TRANSITION') {
      command.error(error.message, { exit: REFUSED_EXIT_CODE });
    }
    throw error;
  } finally {
    await store.close();
  }
}

const DURATION = /^(\d+)\s*(m|min|h|d|w)$/i;
const UNIT_MS: Readonly<Record<string, number>> = {
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30m`, `12h`, `7d`, `2w` in milliseconds; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  const value = Number(match[1]) * (UNIT_MS[match[2].toLowerCase()] ?? 0);
  return value > 0 ? value : undefined;
}
