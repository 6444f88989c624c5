/** @module The `claude_code` engine's public surface. */
export {
  ClaudeCodeDiagnosisEngine,
  type ClaudeCodeEngineOptions,
  DEFAULT_TIMEOUT_MS,
  type DiagnosisPrompt,
} from './claude-code-engine.js';
export type { DiagnosisOutputSchema } from './extract-output.js';
export { locateClaudeCli } from './locate-cli.js';
