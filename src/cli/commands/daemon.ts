/** @module `rounds daemon`: runs the pipeline until SIGINT or SIGTERM. */
import { Command, Flags } from '@oclif/core';
import { createApp } from '../../app.js';
import { createLogger } from '../../observability/logger.js';
import { renderConfig } from '../config-view.js';
import { loadConfigOrExit } from '../load-config.js';
import { listenForStop } from '../stop-signal.js';

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

    const stop = listenForStop(logger);
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

    logger.info({ signal: await stop.requested }, 'stopping');
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
