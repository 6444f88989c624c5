/** @module `rounds diagnose`: diagnoses one signature now, through the same budget, lease and citation checks as the daemon. */
import { Args, Command, Flags } from '@oclif/core';
import { createApp } from '../../app.js';
import { RoundsError } from '../../domain/index.js';
import { createLogger } from '../../observability/logger.js';
import { loadConfigOrExit } from '../load-config.js';
import { renderDetail } from '../signature-detail.js';
import { NOT_FOUND_EXIT_CODE, REFUSED_EXIT_CODE, storeMissing } from '../store-access.js';

export default class Diagnose extends Command {
  static override summary = 'Diagnose one signature now with the configured engine, and report it.';
  // The deployment guide's name for it.
  static override aliases = ['diagnose-signature'];
  static override description =
    `Runs the engine DIAGNOSIS_BACKEND selects (auto: claude_code, anthropic, openai, then offline), after checking DAILY_BUDGET_LIMIT against the cost ledger (a spent budget falls back to the offline engine and says so). The signature is claimed with a lease first, so a running daemon never diagnoses it at the same time. The diagnosis is stored and reported on the configured channels. Progress is logged on stderr.`;
  static override examples = [
    '<%= config.bin %> diagnose sig_4f2a9c1e8b7d6a50',
    'DIAGNOSIS_BACKEND=offline <%= config.bin %> diagnose sig_4f2a9c1e8b7d6a50 --json',
  ];
  static override args = { id: Args.string({ description: 'signature id (sig_...)', required: true }) };
  static override flags = { json: Flags.boolean({ description: 'print the diagnosed signature as JSON' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Diagnose);
    const loaded = loadConfigOrExit(this).values;
    // This command prints the diagnosis itself; the stdout channel would print it a second time, mixed into --json.
    const channels = loaded.NOTIFICATION_BACKEND.filter((backend) => backend !== 'stdout');
    const config = { ...loaded, RUN_MODE: 'cli' as const, NOTIFICATION_BACKEND: channels };
    if (storeMissing(config)) {
      this.error(`no signature store at ${config.STORE_SQLITE_PATH} yet`, { exit: NOT_FOUND_EXIT_CODE });
    }
    const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
    const app = createApp({ config, logger });
    await app.start();
    let outcome: Awaited<ReturnType<typeof app.diagnoseNow>>;
    try {
      logger.info({ signatureId: args.id, engine: app.engineName }, 'diagnosing');
      outcome = await app.diagnoseNow(args.id);
    } catch (error) {
      await app.stop();
      if (error instanceof RoundsError && error.code === 'ROUNDS_NOT_FOUND')
        this.error(error.message, { exit: NOT_FOUND_EXIT_CODE });
      if (error instanceof RoundsError && error.code === 'ROUNDS_ILLEGAL_TRANSITION') {
        this.error(`${error.message} (unmute or reopen it first)`, { exit: REFUSED_EXIT_CODE });
      }
      throw error;
    }
    try {
      if (!outcome.ok) this.error(`the diagnosis failed: ${outcome.error.message}`, { exit: 1 });
      const signature = outcome.signature;
      if (flags.json) {
        this.log(JSON.stringify(signature, null, 2));
        return;
      }
      const [triageHistory, diagnoses, notifications] = await Promise.all([
        app.store.listTriageHistory(signature.id),
        app.store.listDiagnoses(signature.id),
        app.store.listNotifications(signature.id),
      ]);
      this.log(renderDetail({ signature, triageHistory, diagnoses, notifications }));
    } finally {
      await app.stop();
    }
  }
}
