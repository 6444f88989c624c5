import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { SqliteSignatureStore } from '../store/sqlite/sqlite-signature-store.js';
import { pickEngine, selectDiagnosisEngine } from './select-engine.js';

const config = (env: Record<string, string>) => loadConfig({ env, readEnvFile: false }).values;
const logger = pino({ level: 'silent' });

describe('pickEngine (DIAGNOSIS_BACKEND=auto)', () => {
  it('takes the first usable engine in the documented order', () => {
    expect(pickEngine(config({ ANTHROPIC_API_KEY: 'k' }), '/usr/bin/claude').engine).toBe('claude_code');
    expect(pickEngine(config({ ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'o' }), null).engine).toBe('anthropic');
    expect(pickEngine(config({ OPENAI_API_KEY: 'o' }), '/usr/bin/claude').engine).toBe('openai');
    expect(pickEngine(config({ OPENAI_BASE_URL: 'http://localhost:11434/v1' }), '/usr/bin/claude').engine).toBe(
      'openai',
    );
    expect(pickEngine(config({}), '/usr/bin/claude')).toMatchObject({ engine: 'offline' });
  });

  it('keeps an explicit choice', () => {
    expect(pickEngine(config({ DIAGNOSIS_BACKEND: 'offline', ANTHROPIC_API_KEY: 'k' })).engine).toBe('offline');
  });
});

describe('selectDiagnosisEngine', () => {
  it('builds each engine, or says clearly what is missing', async () => {
    const store = new SqliteSignatureStore({ path: ':memory:' });
    const deps = { store, logger, redact: (t: string) => t };
    expect(selectDiagnosisEngine(config({ DIAGNOSIS_BACKEND: 'offline' }), deps).name).toBe('offline');
    expect(selectDiagnosisEngine(config({ DIAGNOSIS_BACKEND: 'anthropic', ANTHROPIC_API_KEY: 'k' }), deps).name).toBe(
      'anthropic',
    );
    expect(
      selectDiagnosisEngine(config({ DIAGNOSIS_BACKEND: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }), deps)
        .name,
    ).toBe('openai');
    expect(
      selectDiagnosisEngine(config({ DIAGNOSIS_BACKEND: 'claude_code' }), { ...deps, claudeCommand: '/bin/true' }).name,
    ).toBe('claude_code');
    expect(() =>
      selectDiagnosisEngine(config({ DIAGNOSIS_BACKEND: 'claude_code' }), { ...deps, claudeCommand: null }),
    ).toThrow(/the claude CLI is not installed/);
  });

  it('rejects unusable price overrides at configuration time', () => {
    expect(() => config({ DIAGNOSIS_PRICES: '{"m": {"input": "cheap"}}' })).toThrow(/DIAGNOSIS_PRICES/);
  });
});
