/** @module How every command loads the configuration: one clear message and exit code 2 when it is invalid. */
import type { Command } from '@oclif/core';
import { ConfigError, type LoadedConfig, loadConfig } from '../config/index.js';

export const CONFIG_EXIT_CODE = 2;

export function loadConfigOrExit(command: Command): LoadedConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) command.error(error.message, { exit: CONFIG_EXIT_CODE });
    throw error;
  }
}
