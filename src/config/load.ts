/** @module Loads the configuration: process environment over `.env.rounds`, validated once, frozen. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { RoundsError } from '../domain/index.js';
import { maskValue } from './mask.js';
import { crossCheck, type Problem } from './rules.js';
import { type EnvConfig, envSchema } from './schema.js';

export const ENV_FILE_NAME = '.env.rounds';

export type ValueOrigin = 'environment' | 'file' | 'default';

export interface LoadedConfig {
  readonly values: Readonly<EnvConfig>;
  /** Where each variable's value came from, for `rounds config`. */
  readonly origins: Readonly<Record<string, ValueOrigin>>;
  /** The `.env.rounds` file that was read, if any. */
  readonly envFile?: string;
}

export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** false: do not read `.env.rounds`. */
  readEnvFile?: boolean;
}

export interface ConfigProblem extends Problem {
  /** The value received, secrets masked; undefined when the variable was not set. */
  got: string | undefined;
}

export class ConfigError extends RoundsError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const lines = problems.map(
      (p) => `  ${p.variable}: expected ${p.expected}, got ${p.got === undefined ? 'nothing' : JSON.stringify(p.got)}`,
    );
    const noun = problems.length === 1 ? 'problem' : 'problems';
    super('ROUNDS_INVALID_CONFIG', `invalid configuration (${problems.length} ${noun}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const envFile = resolve(cwd, ENV_FILE_NAME);
  const fromFile = options.readEnvFile !== false && existsSync(envFile) ? readEnvFile(envFile) : undefined;

  const known = Object.keys(envSchema.shape);
  const raw: Record<string, string> = {};
  const origins: Record<string, ValueOrigin> = {};
  for (const name of known) {
    const fromEnv = env[name];
    const fileValue = fromFile?.[name];
    if (fromEnv !== undefined) {
      raw[name] = fromEnv;
      origins[name] = 'environment';
    } else if (fileValue !== undefined) {
      raw[name] = fileValue;
      origins[name] = 'file';
    } else {
      origins[name] = 'default';
    }
  }

  const parsed = envSchema.safeParse(raw);
  const problems: ConfigProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? 'configuration');
      problems.push({
        variable,
        expected: issue.message.replace(/^expected /, ''),
        got: maskValue(variable, raw[variable]),
      });
    }
  } else {
    for (const problem of crossCheck(parsed.data)) {
      problems.push({
        ...problem,
        expected: problem.expected,
        got: maskValue(problem.variable, raw[problem.variable]),
      });
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  return Object.freeze({
    values: deepFreeze(parsed.data),
    origins: Object.freeze(origins),
    ...(fromFile === undefined ? {} : { envFile }),
  });
}

function readEnvFile(path: string): Record<string, string> {
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new RoundsError('ROUNDS_INVALID_CONFIG', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
