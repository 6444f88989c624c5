/** @module The webhook mode's HTTP server (`rounds webhook`, RUN_MODE=webhook). */
export { webhookServerOptions } from './options.js';
export type { WebhookApp } from './routes.js';
export { type ShutdownOptions, WebhookServer, type WebhookServerOptions } from './webhook-server.js';
