/** @module Cross-variable rules: combinations that parse one by one but cannot work together. */
import { parsePriceOverrides } from '../diagnosis/pricing.js';
import type { EnvConfig } from './schema.js';

export interface Problem {
  variable: string;
  expected: string;
}

const GITHUB_REPO_SHAPE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Every rule is checked, so one run reports every problem at once. */
export function crossCheck(config: EnvConfig): Problem[] {
  const problems: Problem[] = [];
  const need = (present: unknown, variable: string, because: string): void => {
    if (present === undefined) problems.push({ variable, expected: `a value, because ${because}` });
  };

  if (config.STORE_BACKEND === 'postgresql') {
    need(config.STORE_POSTGRESQL_URL, 'STORE_POSTGRESQL_URL', 'STORE_BACKEND=postgresql');
  }
  if (config.TELEMETRY_BACKEND === 'signoz') need(config.SIGNOZ_API_URL, 'SIGNOZ_API_URL', 'TELEMETRY_BACKEND=signoz');
  if (config.TELEMETRY_BACKEND === 'jaeger') need(config.JAEGER_API_URL, 'JAEGER_API_URL', 'TELEMETRY_BACKEND=jaeger');
  if (config.TELEMETRY_BACKEND === 'grafana_stack') {
    need(config.GRAFANA_TEMPO_URL, 'GRAFANA_TEMPO_URL', 'TELEMETRY_BACKEND=grafana_stack');
  }
  if (config.DIAGNOSIS_BACKEND === 'anthropic') {
    need(config.ANTHROPIC_API_KEY, 'ANTHROPIC_API_KEY', 'DIAGNOSIS_BACKEND=anthropic');
  }
  if (config.DIAGNOSIS_BACKEND === 'openai' && config.OPENAI_BASE_URL === undefined) {
    need(
      config.OPENAI_API_KEY,
      'OPENAI_API_KEY',
      'DIAGNOSIS_BACKEND=openai talks to the OpenAI API (no OPENAI_BASE_URL)',
    );
  }
  if (config.DIAGNOSIS_PRICES !== undefined) {
    try {
      parsePriceOverrides(config.DIAGNOSIS_PRICES);
    } catch (error) {
      problems.push({ variable: 'DIAGNOSIS_PRICES', expected: (error as Error).message });
    }
  }
  if (config.NOTIFICATION_BACKEND.includes('github_issue')) {
    need(config.GITHUB_TOKEN, 'GITHUB_TOKEN', 'NOTIFICATION_BACKEND includes github_issue');
    need(config.GITHUB_REPO, 'GITHUB_REPO', 'NOTIFICATION_BACKEND includes github_issue');
  }
  if (config.GITHUB_REPO !== undefined && !GITHUB_REPO_SHAPE.test(config.GITHUB_REPO)) {
    problems.push({ variable: 'GITHUB_REPO', expected: 'owner/repo' });
  }
  if ((config.OTLP_TLS_CERT_FILE === undefined) !== (config.OTLP_TLS_KEY_FILE === undefined)) {
    const missing = config.OTLP_TLS_CERT_FILE === undefined ? 'OTLP_TLS_CERT_FILE' : 'OTLP_TLS_KEY_FILE';
    problems.push({ variable: missing, expected: 'a file path, because TLS needs both a certificate and a key' });
  }
  if (config.WEBHOOK_REQUIRE_AUTH) need(config.WEBHOOK_API_KEY, 'WEBHOOK_API_KEY', 'WEBHOOK_REQUIRE_AUTH=true');
  return problems;
}
