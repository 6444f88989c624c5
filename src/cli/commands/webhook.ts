/** @module `rounds webhook`: the webhook mode; diagnoses on request over HTTP until SIGINT or SIGTERM. */
import { Command } from '@oclif/core';
import { createApp, createFingerprinter } from '../../app.js';
import { createLogger } from '../../observability/logger.js';
import { WebhookServer, webhookServerOptions } from '../../server/index.js';
import { loadConfigOrExit } from '../load-config.js';
import { listenForStop } from '../stop-signal.js';

/** Running diagnoses get this long at shutdown before they are aborted (and their claims released). */
const SHUTDOWN_GRACE_MS = 20_000;

export default class Webhook extends Command {
  static override summary = 'Serve the webhook: POST /diagnose finds a signature and diagnoses it now.';
  static override description =
    'Listens on WEBHOOK_HOST:WEBHOOK_PORT (port 0 picks a free one). POST /diagnose takes a JSON error or ' +
    'alert, finds its signature (signature_id, the error itself, trace_id, or service with error_type) and ' +
    'diagnoses it with the same lease, budget and citation checks as the daemon; GET /signatures/<id> shows the ' +
    'result; GET /healthz probes the store. X-API-Key is checked against WEBHOOK_API_KEY (required when ' +
    'WEBHOOK_REQUIRE_AUTH=true). No OTLP receiver and no triage loops run in this mode. See docs/webhook.md.';
  static override examples = [
    'WEBHOOK_PORT=8080 WEBHOOK_API_KEY=secret WEBHOOK_REQUIRE_AUTH=true <%= config.bin %> webhook',
    'RUN_MODE=webhook <%= config.bin %> run',
  ];

  async run(): Promise<void> {
    const loaded = loadConfigOrExit(this);
    // Whatever RUN_MODE says, this command is the webhook mode: no OTLP receiver and no daemon loops.
    const config = { ...loaded.values, RUN_MODE: 'webhook' as const };
    const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
    const app = createApp({ config, logger });
    const server = new WebhookServer({
      app,
      fingerprinter: createFingerprinter(config),
      logger,
      ...webhookServerOptions(config),
    });

    const stop = listenForStop(logger);

    try {
      await app.start();
      const { host, port } = await server.listen(config.WEBHOOK_HOST, config.WEBHOOK_PORT);
      logger.info(
        {
          mode: 'webhook',
          host,
          port,
          auth: config.WEBHOOK_REQUIRE_AUTH ? 'required' : config.WEBHOOK_API_KEY ? 'checked when sent' : 'none',
          engine: app.engineName,
        },
        `webhook listening on ${host}:${port}`,
      );
    } catch (error) {
      logger.fatal({ err: error }, 'rounds webhook could not start');
      await app.stop().catch(() => {});
      this.exit(1);
    }

    logger.info({ signal: await stop.requested }, 'stopping');
    try {
      await server.shutdown({ graceMs: SHUTDOWN_GRACE_MS, stopApp: () => app.stop() });
    } catch (error) {
      logger.error({ err: error }, 'error while stopping');
    }
    logger.info('rounds webhook stopped');
  }
}
