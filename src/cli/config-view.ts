/** @module Renders the effective configuration with secrets masked, for `rounds config` and `daemon --check-config`. */
import { type LoadedConfig, maskValue } from '../config/index.js';

export function configEntries(loaded: LoadedConfig): { variable: string; value: string; origin: string }[] {
  return Object.entries(loaded.values).map(([variable, value]) => ({
    variable,
    value: maskValue(variable, display(value)) ?? '',
    origin: loaded.origins[variable] ?? 'default',
  }));
}

export function renderConfig(loaded: LoadedConfig): string {
  const entries = configEntries(loaded);
  const width = Math.max(...entries.map((e) => e.variable.length));
  const lines = entries.map(
    (e) => `${e.variable.padEnd(width)}  ${e.value || '(unset)'}${e.origin === 'default' ? '' : `  [${e.origin}]`}`,
  );
  if (loaded.envFile !== undefined) lines.unshift(`# read ${loaded.envFile}`);
  return lines.join('\n');
}

function display(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}
