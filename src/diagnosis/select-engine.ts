/** @module Picks the diagnosis engine from DIAGNOSIS_BACKEND; `auto` takes the first usable one and says which. */
import type { EnvConfig } from '../config/index.js';
import { RoundsError } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { DiagnosisEngine } from '../ports/index.js';
import { OfflineDiagnosisEngine } from './engines/offline/offline-engine.js';

export function selectDiagnosisEngine(config: Readonly<EnvConfig>, logger: Logger): DiagnosisEngine {
  const backend = config.DIAGNOSIS_BACKEND;
  if (backend === 'offline') return new OfflineDiagnosisEngine();
  if (backend === 'auto') {
    logger.info(
      { component: 'diagnosis', engine: 'offline' },
      'DIAGNOSIS_BACKEND=auto: using the offline engine (deterministic, no LLM, confidence low)',
    );
    return new OfflineDiagnosisEngine();
  }
  throw new RoundsError(
    'ROUNDS_INVALID_CONFIG',
    `DIAGNOSIS_BACKEND=${backend}: this engine is not part of this build yet; use offline or auto`,
  );
}
