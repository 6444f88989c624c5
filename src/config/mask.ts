/** @module Masking: secrets never appear in `rounds config` output or configuration errors. */
import { SECRET_VARIABLES, URL_WITH_CREDENTIALS } from './schema.js';

export function maskValue(variable: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return value;
  if (SECRET_VARIABLES.has(variable)) return maskSecret(value);
  if (URL_WITH_CREDENTIALS.has(variable)) return maskUrlPassword(value);
  return value;
}

/** Keeps a short prefix so an operator can tell which key is configured without revealing it. */
function maskSecret(value: string): string {
  return value.length <= 8 ? '****' : `${value.slice(0, 4)}****`;
}

function maskUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = '****';
    return url.toString();
  } catch {
    // Not a URL we can parse: it may still hold a password, so show none of it.
    return '****';
  }
}
