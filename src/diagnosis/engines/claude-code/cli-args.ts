/** @module The Claude Code CLI invocation: flags and environment for one headless, read-only diagnosis. */

/**
 * Read-only tools. In `--bare` mode CLI 2.1.197 only offers Bash, Edit and Read, so Grep and Glob are dropped by
 * the CLI itself and only Read remains; they are still asked for so a CLI whose bare mode has them uses them.
 */
export const READ_ONLY_TOOLS = ['Read', 'Grep', 'Glob'] as const;

/** Tools that write files or run commands, denied explicitly in case a CLI version ignores `--tools`. */
export const DENIED_TOOLS = ['Bash', 'Edit', 'Write', 'NotebookEdit', 'WebFetch', 'WebSearch', 'Agent'];

export interface CliArgsInput {
  readonly model: string;
  readonly budgetUsd: number;
  readonly jsonSchema: Record<string, unknown>;
  readonly systemPrompt: string;
}

export function buildCliArgs(input: CliArgsInput): string[] {
  // `--flag=value` throughout: a value that starts with `-` (a prompt, a schema) is never taken for a flag.
  return [
    '-p',
    '--output-format=json',
    // No hooks, plugins, CLAUDE.md discovery, keychain or OAuth: nothing from the monitored repo's or the user's
    // Claude configuration can run commands or change the prompt, and the API key is the one Rounds passes.
    '--bare',
    '--no-session-persistence',
    `--model=${input.model}`,
    `--tools=${READ_ONLY_TOOLS.join(',')}`,
    `--disallowedTools=${DENIED_TOOLS.join(',')}`,
    `--max-budget-usd=${formatUsd(input.budgetUsd)}`,
    `--json-schema=${JSON.stringify(input.jsonSchema)}`,
    `--system-prompt=${input.systemPrompt}`,
  ];
}

/** The variables that keep a headless run from phoning home, updating itself or reporting errors elsewhere. */
export const QUIET_ENV: Readonly<Record<string, string>> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_ERROR_REPORTING: '1',
};

function formatUsd(value: number): string {
  // Plain decimal notation: the CLI parses the flag as a number, and 1e-7 style would not round-trip.
  return value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}
