/** @module `rounds daemon`: runs the pipeline until SIGINT or SIGTERM. */
import { Command, Flags } from '@oclif/core';
import { createApp } from '../../app.js';
import { createLogger } from '../../observability/logger.js';
import { renderConfig } from '../config-view.js';
import { loadConfigOrExit } from '../load-config.js';

export default class Daemon extends Command {
  static override summary = 'Run Rounds continuously: receive and poll errors, group them into signatures, report.';
  static override description =
    'Reads its configuration from the environment and ./.env.rounds, opens the signature store (applying ' +
    'migrations), starts the configured sources and runs until SIGINT or SIGTERM, then stops cleanly.';
  static override examples = [
    '<%= config.bin %> daemon',
    'STORE_SQLITE_PATH=/tmp/r.db <%= config.bin %> daemon --check-config',
  ];
  static override flags = {
    'check-config': Flags.boolean({ description: 'validate the configuration, print it (secrets masked) and exit' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Daemon);
    const loaded = loadConfigOrExit(this);
    if (flags['check-config']) {
      this.log(renderConfig(loaded));
      this.log('configuration is valid');
      return;
    }
    const config = loaded.values;
    const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
    const app = createApp({ config, logger });

    // Handlers first: a signal that arrives while starting (or right after the "running" line) must still stop
    // the daemon cleanly instead of killing it with the default action.
    let requested: NodeJS.Signals | undefined;
    let wake: (() => void) | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (requested !== undefined) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      requested = signal;
      wake?.();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Signal handlers do not keep Node running: with no listening source the loop would empty and exit.
    const keepAlive = setInterval(() => {}, 2 ** 30);

    try {
      await app.start();
    } catch (error) {
      clearInterval(keepAlive);
      logger.fatal({ err: error }, 'rounds daemon could not start');
      this.exit(1);
    }
    logger.info({ mode: 'daemon', envFile: loaded.envFile ?? null }, 'rounds daemon running');

    if (requested === undefined) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    logger.info({ signal: requested }, 'stopping');
    try {
      await app.stop();
    } catch (error) {
      logger.error({ err: error }, 'error while stopping');
    } finally {
      clearInterval(keepAlive);
    }
    logger.info('rounds daemon stopped');
  }
}
