/** @module The webhook server's settings from the configuration (WEBHOOK_*, DIAGNOSIS_CONCURRENCY). */
import type { EnvConfig } from '../config/index.js';
import type { WebhookServerOptions } from './webhook-server.js';

export function webhookServerOptions(
  config: Readonly<EnvConfig>,
): Pick<WebhookServerOptions, 'apiKey' | 'requireAuth' | 'concurrency'> {
  return {
    ...(config.WEBHOOK_API_KEY !== undefined ? { apiKey: config.WEBHOOK_API_KEY } : {}),
    requireAuth: config.WEBHOOK_REQUIRE_AUTH,
    concurrency: config.DIAGNOSIS_CONCURRENCY,
  };
}
