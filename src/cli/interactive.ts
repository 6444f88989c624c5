/**
 * @module The interactive CLI mode (RUN_MODE=cli): a prompt that runs Rounds commands one line at a time, for
 * `docker compose run --rm rounds`. Reads stdin line by line, so it can also be fed a script; ends at EOF or `exit`.
 */
import { createInterface } from 'node:readline';
import type { Config } from '@oclif/core';

/** Splits a command line like a shell does for quotes and backslashes; no globbing, variables or pipes. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote`);
  if (inWord) words.push(current);
  return words;
}

export interface InteractiveIo {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Show a prompt (a terminal); off when stdin is a pipe or a file. */
  readonly prompt: boolean;
}

/** Runs commands until EOF or `exit`; returns how many failed. A failing command never ends the session. */
export async function runInteractive(config: Config, io: InteractiveIo): Promise<number> {
  const lines = createInterface({ input: io.input, terminal: false });
  const say = (text: string) => io.output.write(text);
  let failures = 0;
  if (io.prompt) say('Rounds interactive mode. `help` lists the commands, `exit` leaves.\n> ');
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === 'exit' || line === 'quit') break;
    if (line !== '' && !line.startsWith('#')) {
      try {
        const [id = 'help', ...args] = splitCommandLine(line);
        // `rounds show-signatures` and `show-signatures` both work.
        const words = id === config.bin ? args : [id, ...args];
        const [command = 'help', ...rest] = words;
        if (command === 'run')
          throw new Error('`run` starts a mode; inside the interactive mode run commands directly');
        await config.runCommand(command === 'help' ? 'help' : command, rest);
      } catch (error) {
        failures++;
        say(`error: ${describe(error)}\n`);
      }
    }
    if (io.prompt) say('> ');
  }
  return failures;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.replace(/\s*›\s*/g, ' ').trim();
  return String(error);
}
