/** @module How long-running modes (daemon, webhook) wait for SIGINT/SIGTERM: a first signal stops cleanly, a second exits. */
import type { Logger } from '../observability/logger.js';

export interface StopSignal {
  /** Resolves with the signal once one arrives (at once if one already came). */
  readonly requested: Promise<NodeJS.Signals>;
}

/**
 * Installs the handlers at once: a signal that arrives while the mode is still starting must stop it cleanly
 * instead of killing it with the default action. A second signal exits without waiting.
 */
export function listenForStop(logger: Logger): StopSignal {
  let first: NodeJS.Signals | undefined;
  let resolve: (signal: NodeJS.Signals) => void = () => {};
  const requested = new Promise<NodeJS.Signals>((done) => {
    resolve = done;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first !== undefined) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(130);
    }
    first = signal;
    resolve(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { requested };
}
